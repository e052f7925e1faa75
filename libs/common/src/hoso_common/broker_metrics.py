"""Kafka metrics: handler outcome and duration per topic, and the lag of our consumers."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from faststream import BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.kafka import KafkaBroker

from hoso_common.metrics import Sample, Sampler, record_kafka


class KafkaMetricsMiddleware(BaseMiddleware):
    """Times each consumed record's handler; placed innermost, it sees the handler's error
    before the dead-letter policy settles it."""

    def __init__(self, msg: Any, /, *, context: ContextRepo) -> None:
        super().__init__(msg, context=context)
        self._began = 0.0

    async def on_receive(self) -> None:
        self._began = time.perf_counter()

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if isinstance(self.msg, ConsumerRecord):
            record_kafka(self.msg.topic, exc_val is None, time.perf_counter() - self._began)
        return False


def _consumers(broker: KafkaBroker) -> list[tuple[str, AIOKafkaConsumer]]:
    found: list[tuple[str, AIOKafkaConsumer]] = []
    for sub in broker.subscribers:
        group = str(getattr(sub, "group_id", "") or "none")
        for consumer in getattr(sub, "consumer_subgroup", None) or [getattr(sub, "consumer", None)]:
            if isinstance(consumer, AIOKafkaConsumer):
                found.append((group, consumer))
    return found


def consumer_lag_sampler(broker: KafkaBroker) -> Any:
    """Lag of the partitions assigned to this process, summed per topic and group.

    The high watermark comes with every fetch, the position is the consumer's own; summed
    over the replicas of a group it is the group's lag, with no admin call to Kafka.
    """

    async def sample() -> Sample:
        lag: dict[tuple[str, str], float] = {}
        for group, consumer in _consumers(broker):
            for tp in consumer.assignment():
                highwater = consumer.highwater(tp)
                if highwater is None:
                    continue
                position = await consumer.position(tp)
                key = (tp.topic, group)
                lag[key] = lag.get(key, 0.0) + max(highwater - position, 0)
        return [({"topic": topic, "group": group}, value) for (topic, group), value in lag.items()]

    return sample


def register_consumer_lag(sampler: Sampler, broker: KafkaBroker) -> None:
    sampler.gauge(
        "hoso.kafka.consumer.lag",
        consumer_lag_sampler(broker),
        description="Records not yet consumed on the partitions this process holds.",
    )
