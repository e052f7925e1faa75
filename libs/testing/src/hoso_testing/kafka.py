"""A test consumer that watches a topic from its current end, and a producer's send of an
envelope as another service would publish it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hoso_common.events import Envelope, cloudevent_headers

Publish = Callable[[Envelope[Any]], Awaitable[None]]


async def send_envelope(producer: AIOKafkaProducer, envelope: Envelope[Any]) -> None:
    """`envelope` on its event's topic, keyed and with CloudEvents headers as services send it."""
    await producer.send_and_wait(
        envelope.data.topic,
        value=envelope.model_dump_json().encode(),
        key=envelope.data.partition_key().encode(),
        headers=[(k, v.encode()) for k, v in cloudevent_headers(envelope).items()],
    )


class EventWatcher:
    """Collects every record published to a topic after `start()`."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.records: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> EventWatcher:
        await self.consumer.start()
        partitions = None
        for _ in range(50):
            partitions = self.consumer.partitions_for_topic(self.topic)
            if partitions:
                break
            # The consumer learns of a topic only once its client refreshes metadata.
            await self.consumer._client.force_metadata_update()
            await asyncio.sleep(0.2)
        if not partitions:
            raise RuntimeError(f"topic {self.topic} does not exist")
        assigned = [TopicPartition(self.topic, p) for p in partitions]
        self.consumer.assign(assigned)
        await self.consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self.consumer.position(tp)
        self._task = asyncio.create_task(self._collect())
        return self

    async def _collect(self) -> None:
        async for record in self.consumer:
            self.records.append(
                {
                    "key": record.key.decode() if record.key else None,
                    "headers": {k: v.decode() for k, v in record.headers},
                    "value": json.loads(record.value) if record.value else None,
                    "partition": record.partition,
                    "offset": record.offset,
                    "at": record.timestamp / 1000.0,  # the broker's append time, seconds
                }
            )

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 30.0
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                for record in self.records:
                    if predicate(record):
                        return record
                await asyncio.sleep(0.05)

    def matching(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [r for r in self.records if predicate(r)]

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()
