"""Kafka through the broker factory: delivery to other groups and redelivery after a crash."""

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import OutOfOrderSequenceNumber
from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import create_broker, ensure_topics, subscriber
from hoso_common.events import DocumentUploaded, Envelope, new_envelope
from hoso_common.faults import is_transient
from hoso_common.producer_guard import ProducerRestarted
from hoso_common.settings import KafkaSettings
from hoso_testing.endpoints import Endpoints
from hoso_testing.events import document_uploaded

pytestmark = pytest.mark.integration


def uploaded(document_id: str) -> DocumentUploaded:
    return document_uploaded(document_id, owner_id="citizen-kafka-test", name="Giấy tờ thử")


async def wait_for(predicate: Any, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_published_event_reaches_a_consumer_of_another_group(endpoints: Endpoints) -> None:
    settings = KafkaSettings()
    await ensure_topics(settings)
    topic = f"hoso.test.{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, [topic])
    producer = create_broker(settings, client_id="kafka-test-producer")
    consumer_broker = create_broker(settings, client_id="kafka-test-consumer")
    received: list[Envelope[DocumentUploaded]] = []

    @subscriber(consumer_broker, topic, group_id=f"group-{uuid.uuid4().hex[:8]}")
    async def handle(envelope: Envelope[DocumentUploaded]) -> None:
        received.append(envelope)

    envelope = new_envelope(uploaded(str(uuid.uuid4())), source="/hoso/test")
    await producer.start()
    await consumer_broker.start()
    try:
        await producer.publish(envelope.model_dump(mode="json"), topic=topic)
        await wait_for(lambda: received)
    finally:
        await consumer_broker.stop()
        await producer.stop()
    assert received[0].id == envelope.id
    assert received[0].data.name == "Giấy tờ thử"


CRASHING_CONSUMER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from hoso_common.broker import create_broker, subscriber
    from hoso_common.settings import KafkaSettings

    topic, group = sys.argv[1], sys.argv[2]
    broker = create_broker(KafkaSettings(), client_id="crashing-consumer")

    @subscriber(broker, topic, group_id=group)
    async def handle(body: dict) -> None:
        print("received", body["id"], flush=True)
        # Die the hard way after receiving and before the offset is committed.
        os.kill(os.getpid(), signal.SIGKILL)

    async def main() -> None:
        await broker.start()
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


async def test_a_consumer_killed_before_its_commit_sees_the_event_again(
    endpoints: Endpoints,
) -> None:
    settings = KafkaSettings()
    topic = f"hoso.test.crash.{uuid.uuid4().hex[:8]}"
    group = f"crash-group-{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, [topic])
    broker: KafkaBroker = create_broker(settings, client_id="kafka-test-crash")
    await broker.start()
    envelope = new_envelope(uploaded(str(uuid.uuid4())), source="/hoso/test")
    await broker.publish(envelope.model_dump(mode="json"), topic=topic)
    await broker.stop()

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_CONSUMER,
        topic,
        group,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == -9, "the consumer should have been killed"
    assert f"received {envelope.id}" in stdout.decode()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    assert json.loads(record.value)["id"] == envelope.id


async def test_poison_message_goes_to_the_dead_letter_topic(endpoints: Endpoints) -> None:
    settings = KafkaSettings()
    topic = f"hoso.test.poison.{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, [topic])
    broker = create_broker(settings, client_id="kafka-test-poison")
    handled: list[str] = []

    @subscriber(broker, topic, group_id=f"poison-{uuid.uuid4().hex[:8]}")
    async def handle(envelope: Envelope[DocumentUploaded]) -> None:
        handled.append(envelope.id)

    dead = AIOKafkaConsumer(
        topics.dead_letter(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"dlt-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await broker.start()
    await dead.start()
    try:
        await broker.publish(b'{"not": "an envelope"}', topic=topic)
        good = new_envelope(uploaded(str(uuid.uuid4())), source="/hoso/test")
        await broker.publish(good.model_dump(mode="json"), topic=topic)
        record = await asyncio.wait_for(dead.getone(), timeout=30)
        await wait_for(lambda: handled)
    finally:
        await dead.stop()
        await broker.stop()
    headers = {k: v.decode() for k, v in record.headers}
    assert record.value == b'{"not": "an envelope"}'
    assert headers["x-dlt-original-topic"] == topic
    assert handled == [good.id], "the partition moves on past the poison message"


@contextlib.asynccontextmanager
async def broker_and_reader(
    client_id: str,
) -> AsyncIterator[tuple[KafkaBroker, str, AIOKafkaConsumer]]:
    """A started broker, a fresh topic, and a consumer that reads the topic from its start."""
    settings = KafkaSettings()
    topic = f"hoso.test.{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, [topic])
    broker = create_broker(settings, client_id=client_id)
    await broker.start()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        yield broker, topic, consumer
    finally:
        await consumer.stop()
        await broker.stop()


async def numbers_read(consumer: AIOKafkaConsumer, count: int) -> list[int]:
    """The `n` of the first `count` messages the consumer reads, in their order."""
    seen: list[int] = []
    async with asyncio.timeout(30):
        while len(seen) < count:
            batch = await consumer.getmany(timeout_ms=1000)
            seen += [json.loads(r.value)["n"] for rs in batch.values() for r in rs]
    return seen


async def test_a_producer_whose_sender_ended_is_replaced_and_the_publish_delivered(
    endpoints: Endpoints,
) -> None:
    """After a broker restart the idempotent producer's sender can end; nothing restarts us."""
    async with broker_and_reader("kafka-test-revived") as (broker, topic, consumer):
        await broker.publish({"n": 1}, topic=topic, key=b"k")
        old = broker.config.producer._producer.producer  # type: ignore[attr-defined]
        # What OutOfOrderSequenceNumber does to it: the sender task ends, for good.
        old._sender.sender_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await old._sender.sender_task

        await asyncio.wait_for(broker.publish({"n": 2}, topic=topic, key=b"k"), 30)

        assert broker.config.producer._producer.producer is not old  # type: ignore[attr-defined]
        assert await numbers_read(consumer, 2) == [1, 2]


async def test_a_producer_whose_sequence_the_broker_refuses_is_replaced(
    endpoints: Endpoints,
) -> None:
    """The broker lost this producer's state (an unclean election after a restart): it refuses
    every later batch with OutOfOrderSequenceNumber until a new producer takes over."""
    async with broker_and_reader("kafka-test-sequence") as (broker, topic, consumer):
        await broker.publish({"n": 1}, topic=topic, key=b"k", partition=0)
        old = broker.config.producer._producer.producer  # type: ignore[attr-defined]
        # The broker expects the next sequence number; this producer now sends a later one.
        old._txn_manager.increment_sequence_number(TopicPartition(topic, 0), 5)

        with pytest.raises(ProducerRestarted) as refused:
            await asyncio.wait_for(broker.publish({"n": 2}, topic=topic, key=b"k", partition=0), 30)
        assert isinstance(refused.value.__cause__, OutOfOrderSequenceNumber)
        assert is_transient(refused.value)
        await asyncio.wait_for(broker.publish({"n": 3}, topic=topic, key=b"k", partition=0), 30)

        assert broker.config.producer._producer.producer is not old  # type: ignore[attr-defined]
        assert await numbers_read(consumer, 2) == [1, 3]
