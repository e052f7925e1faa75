"""The operator's replay puts a dead letter back on its topic, once."""

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from hoso_common.broker import ensure_topics
from hoso_common.dead_letters import replay, waiting
from hoso_common.settings import KafkaSettings
from hoso_testing.endpoints import Endpoints

pytestmark = pytest.mark.integration


async def test_replay_publishes_each_dead_letter_back_once(endpoints: Endpoints) -> None:
    settings = KafkaSettings()
    topic = f"hoso.test.replay.{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(
                f"{topic}.dlt",
                f"event {n}".encode(),
                key=b"k",
                headers=[
                    ("ce_id", f"e-{n}".encode()),
                    ("x-dlt-original-topic", topic.encode()),
                    ("x-dlt-error", b"AutoReconnect('down')"),
                ],
            )
    finally:
        await producer.stop()
    assert await waiting(settings, f"{topic}.dlt") == 3
    assert await replay(settings, f"{topic}.dlt", dry_run=True) == 3
    assert await waiting(settings, f"{topic}.dlt") == 3
    assert await replay(settings, f"{topic}.dlt") == 3
    assert await replay(settings, f"{topic}.dlt") == 0  # committed: never replayed twice
    assert await waiting(settings, f"{topic}.dlt") == 0

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=f"check-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=10000)
        records = [r for rs in batches.values() for r in rs]
        while len(records) < 3:
            more = await consumer.getmany(timeout_ms=5000)
            if not more:
                break
            records += [r for rs in more.values() for r in rs]
    finally:
        await consumer.stop()
    assert sorted(r.value for r in records) == [b"event 0", b"event 1", b"event 2"]
    headers = dict(records[0].headers)
    assert "x-dlt-error" not in headers
    assert headers["x-replayed-from"].startswith(f"{topic}.dlt/".encode())
