"""Operator's tool for the dead-letter topics: see what is waiting there, and replay it.

    uv run python -m hoso_common.dead_letters list
    uv run python -m hoso_common.dead_letters show hoso.signing.completed.dlt
    uv run python -m hoso_common.dead_letters replay hoso.signing.completed.dlt [--dry-run]

A replay publishes each waiting record back to the topic it came from, with its original key
and headers, and then commits it for the replay's own consumer group, so a record is replayed
once however often the command runs. Consumers are idempotent, so a replayed event that had
been applied meanwhile changes nothing. See docs/operations.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from hoso_common import topics
from hoso_common.settings import KafkaSettings

REPLAY_GROUP = "hoso-dead-letter-replay"
DLT_HEADER_PREFIX = "x-dlt-"


@dataclass(frozen=True)
class Waiting:
    topic: str
    count: int


def original_topic(record: ConsumerRecord[bytes, bytes]) -> str:
    """The topic a dead letter came from: its header, else the name without `.dlt`."""
    for name, value in record.headers or ():
        if name == "x-dlt-original-topic":
            return str(value.decode())
    return str(record.topic).removesuffix(topics.DEAD_LETTER_SUFFIX)


def replay_headers(record: ConsumerRecord[bytes, bytes]) -> list[tuple[str, bytes]]:
    """The record's own headers, without the dead-letter bookkeeping, marked as replayed."""
    kept = [(k, v) for k, v in (record.headers or ()) if not k.startswith(DLT_HEADER_PREFIX)]
    return [
        *kept,
        ("x-replayed-from", f"{record.topic}/{record.partition}/{record.offset}".encode()),
    ]


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")


async def _consumer(
    settings: KafkaSettings, topic: str
) -> tuple[AIOKafkaConsumer, dict[TopicPartition, int]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=REPLAY_GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = {
        int(p["partition"])
        for t in described
        if t.get("topic") == topic and not t.get("error_code")
        for p in t.get("partitions", [])
    }
    await consumer.start()
    if not partitions:
        await consumer.stop()
        raise SystemExit(f"no such topic: {topic}")
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    ends = await consumer.end_offsets(assigned)
    return consumer, ends


async def waiting(settings: KafkaSettings, topic: str) -> int:
    """Records in `topic` that the replay has not taken yet."""
    consumer, ends = await _consumer(settings, topic)
    try:
        total = 0
        for partition, end in ends.items():
            committed = await consumer.committed(partition)
            if committed is None:
                committed = (await consumer.beginning_offsets([partition]))[partition]
            total += max(end - committed, 0)
        return total
    finally:
        await consumer.stop()


async def list_waiting(settings: KafkaSettings) -> list[Waiting]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        names = sorted(
            t for t in await admin.list_topics() if t.endswith(topics.DEAD_LETTER_SUFFIX)
        )
    finally:
        await admin.close()
    return [Waiting(name, await waiting(settings, name)) for name in names]


async def replay(
    settings: KafkaSettings, topic: str, *, dry_run: bool = False, limit: int | None = None
) -> int:
    """Publish the waiting records of a dead-letter topic back; returns how many."""
    if not topic.endswith(topics.DEAD_LETTER_SUFFIX):
        raise SystemExit(f"{topic} is not a dead-letter topic (*{topics.DEAD_LETTER_SUFFIX})")
    consumer, ends = await _consumer(settings, topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    replayed = 0
    try:
        while any(await _behind(consumer, ends)) and (limit is None or replayed < limit):
            batches = await consumer.getmany(timeout_ms=1000, max_records=100)
            for partition, records in batches.items():
                for record in records:
                    if record.offset >= ends[partition] or (
                        limit is not None and replayed >= limit
                    ):
                        break
                    target = original_topic(record)
                    _write(
                        f"{'would replay' if dry_run else 'replay'} {record.topic}/"
                        f"{record.partition}/{record.offset} -> {target}: "
                        f"{_header(record, 'x-dlt-error')}"
                    )
                    if not dry_run:
                        await producer.send_and_wait(
                            target, record.value, key=record.key, headers=replay_headers(record)
                        )
                        await consumer.commit({partition: record.offset + 1})
                    replayed += 1
    finally:
        await producer.stop()
        await consumer.stop()
    return replayed


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[bool]:
    return [await consumer.position(p) < end for p, end in ends.items()]


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    for key, value in record.headers or ():
        if key == name:
            return str(value.decode(errors="replace"))
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hoso_common.dead_letters", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="dead-letter topics and how many records wait in each")
    show = commands.add_parser("show", help="print the waiting records without replaying them")
    show.add_argument("topic")
    again = commands.add_parser("replay", help="publish the waiting records back to their topic")
    again.add_argument("topic")
    again.add_argument("--dry-run", action="store_true", help="print, publish nothing")
    again.add_argument("--limit", type=int, default=None, help="replay at most this many")
    args = parser.parse_args(argv)
    settings = KafkaSettings()
    if args.command == "list":
        for item in asyncio.run(list_waiting(settings)):
            _write(f"{item.topic}\t{item.count} waiting")
        return 0
    if args.command == "show":
        count = asyncio.run(replay(settings, args.topic, dry_run=True))
        _write(f"{count} waiting in {args.topic}")
        return 0
    count = asyncio.run(replay(settings, args.topic, dry_run=args.dry_run, limit=args.limit))
    _write(f"{'would replay' if args.dry_run else 'replayed'} {count} from {args.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
