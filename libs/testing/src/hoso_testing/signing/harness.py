"""Runs signing and the sandbox CA on known ports and feeds them SignRequested events."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from hoso_common import topics
from hoso_common.broker import ensure_topics
from hoso_common.events import (
    ObjectRef,
    SignRequested,
    StampOptions,
    cloudevent_headers,
    new_envelope,
)
from hoso_common.settings import KafkaSettings
from hoso_common.storage import ObjectStorage

RUN = uuid.uuid4().hex[:8]
# The running stack's signing replicas read the same topics; a bucket and an event source of
# this run's own keep their work apart from a test's or a benchmark's.
TEST_BUCKET = "hoso-signing-test"
EVENT_SOURCE = f"/hoso/signing-test-{RUN}"
# The key signing replicas started by tests share with the tests that issue capabilities.
CAPABILITY_SECRET = f"signing-test-capability-{RUN}"


def ours(record: dict[str, Any]) -> bool:
    """Whether a watched record was emitted by this run's signing app."""
    return bool(record["value"]["source"] == EVENT_SOURCE)


async def start_group_at_end(bootstrap: str, group_id: str, topic: str) -> None:
    """Commit a new consumer group at the topic's end so it skips older runs' events."""
    await ensure_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        [description] = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, int(p["partition"])) for p in description["partitions"]]
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist")
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
    finally:
        await consumer.stop()
        await admin.close()


class SignRequestFeeder:
    """Uploads source files and publishes SignRequested like documents/eforms would."""

    def __init__(self, bootstrap: str, storage: ObjectStorage, bucket: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        self.storage = storage
        self.bucket = bucket

    async def start(self) -> SignRequestFeeder:
        await self.producer.start()
        await self.storage.ensure_buckets(self.bucket)
        return self

    async def stop(self) -> None:
        await self.producer.stop()

    async def upload(
        self, data: bytes, *, filename: str, content_type: str = "application/pdf"
    ) -> ObjectRef:
        key = f"test-sources/{uuid.uuid4().hex}/{filename}"
        await self.storage.put_bytes(self.bucket, key, data, content_type=content_type)
        return ObjectRef(
            bucket=self.bucket,
            key=key,
            version=1,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content_type=content_type,
            filename=filename,
        )

    def request(
        self,
        ref: ObjectRef,
        *,
        signer_id: str,
        signer_sub: str,
        provider: str = "vnpt-smartca",
        stamp: StampOptions | None = None,
        request_id: str | None = None,
    ) -> SignRequested:
        return SignRequested(
            request_id=request_id or uuid.uuid4().hex,
            source="documents",
            source_id=f"doc-{uuid.uuid4().hex[:12]}",
            document_name=f"Tờ khai {ref.filename}",
            object=ref,
            signer_id=signer_id,
            signer_sub=signer_sub,
            provider=provider,
            reason="Ký xác nhận hồ sơ",
            location="Hà Nội",
            visible_stamp=stamp,
        )

    async def publish(self, request: SignRequested, *, event_id: str | None = None) -> None:
        envelope = new_envelope(request, source="/hoso/tests", event_id=event_id)
        await self.producer.send(
            topics.SIGN_REQUESTED,
            json.dumps(envelope.model_dump(mode="json")).encode(),
            key=request.partition_key().encode(),
            headers=[(k, v.encode()) for k, v in cloudevent_headers(envelope).items()],
        )

    async def flush(self) -> None:
        await self.producer.flush()
