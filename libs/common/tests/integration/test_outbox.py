"""The outbox relay publishes each entry once, also with a writer's handover and two relays."""

import asyncio
import uuid
from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReturnDocument

from hoso_common import topics
from hoso_common.broker import create_broker
from hoso_common.events import DocumentUploaded
from hoso_common.outbox import OutboxRelay, handover_lease, outbox_entries, push_events
from hoso_common.settings import KafkaSettings
from hoso_testing.endpoints import Endpoints
from hoso_testing.events import document_uploaded

pytestmark = pytest.mark.integration


def uploaded(document_id: str) -> DocumentUploaded:
    return document_uploaded(document_id, owner_id="citizen-outbox", name="Giấy khai sinh")


async def test_a_handed_over_document_is_published_once_while_another_relay_scans(
    endpoints: Endpoints, mongo_client: AsyncMongoClient[dict[str, Any]], watch: Any
) -> None:
    collection = mongo_client["hoso_test"][f"outbox_{uuid.uuid4().hex[:8]}"]
    watcher = await watch(topics.DOCUMENT_UPLOADED)
    settings = KafkaSettings(kafka_bootstrap_servers=endpoints.kafka_bootstrap)
    writer_broker = create_broker(settings, client_id="outbox-writer")
    scanner_broker = create_broker(settings, client_id="outbox-scanner")
    await writer_broker.start()
    await scanner_broker.start()
    writer = OutboxRelay(writer_broker, [collection], scan_interval_s=3600)
    scanner = OutboxRelay(scanner_broker, [collection], scan_interval_s=3600)
    ids = [str(uuid.uuid4()) for _ in range(20)]
    try:
        writer.start()
        for doc_id in ids:
            await collection.insert_one({"_id": doc_id, "state": "new", "outbox": []})
        written = []
        for doc_id in ids:
            written.append(
                await collection.find_one_and_update(
                    {"_id": doc_id, "state": "new"},
                    {
                        "$set": {"state": "uploaded", **handover_lease()},
                        "$push": push_events(uploaded(doc_id), source="/hoso/outbox-test"),
                    },
                    return_document=ReturnDocument.AFTER,
                )
            )
        # The other relay scans while the writer's relay publishes the handed-over documents.
        for doc in written:
            writer.written(collection, doc)
        scanned = await scanner.drain()
        await watcher.wait_for(lambda r: r["value"]["data"]["document_id"] == ids[-1], timeout_s=30)
        async with asyncio.timeout(30):
            while await collection.count_documents({"outbox.0": {"$exists": True}}):
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # a duplicate, if any, arrives meanwhile
    finally:
        await writer.stop()
        await writer_broker.stop()
        await scanner_broker.stop()
    assert scanned == 0
    seen = [r["value"]["data"]["document_id"] for r in watcher.records]
    assert sorted(i for i in seen if i in ids) == sorted(ids)
    await collection.drop()


async def test_entries_of_a_writer_that_died_are_published_after_its_lease(
    endpoints: Endpoints, mongo_client: AsyncMongoClient[dict[str, Any]], watch: Any
) -> None:
    collection = mongo_client["hoso_test"][f"outbox_{uuid.uuid4().hex[:8]}"]
    watcher = await watch(topics.DOCUMENT_UPLOADED)
    broker = create_broker(
        KafkaSettings(kafka_bootstrap_servers=endpoints.kafka_bootstrap), client_id="outbox-scan"
    )
    await broker.start()
    scanner = OutboxRelay(broker, [collection], scan_interval_s=3600)
    doc_id = str(uuid.uuid4())
    try:
        # Written with a handover lease, never handed over: the writer died right after.
        await collection.insert_one(
            {
                "_id": doc_id,
                **handover_lease(lease_s=2),
                "outbox": outbox_entries(uploaded(doc_id), source="/hoso/outbox-test"),
            }
        )
        assert await scanner.drain() == 0
        await asyncio.sleep(2.5)
        assert await scanner.drain() == 1
        await watcher.wait_for(lambda r: r["value"]["data"]["document_id"] == doc_id)
    finally:
        await broker.stop()
    stored = await collection.find_one({"_id": doc_id})
    assert stored is not None and stored["outbox"] == []
    await collection.drop()
