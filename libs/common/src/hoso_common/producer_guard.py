"""Every publish gets a deadline, and a producer that can no longer deliver is replaced.

aiokafka's idempotent producer never expires a batch: while the brokers are away, a publish
waits for them however long that takes. Worse, when a broker comes back without the
producer's sequence state (a partition whose only replica was elected uncleanly, as after a
restart of a single broker), every later batch of that producer to the partition is refused
with `OutOfOrderSequenceNumber`: unlike the Java client, aiokafka never resets its sequence
numbers, so the producer stays useless until the process restarts. Its sender task can also
end for good, and then every publish waits forever.

The guard bounds each publish. When a publish meets a producer-state error, or the sender
has ended, it starts a new producer (a new producer id, sequences from 0) and puts it in the
old one's place, so the next attempt (the outbox relay's next pass, a consumer's retry) goes
through without a restart. These failures are raised as transient Kafka errors: an event
handler retries them and never dead-letters a message for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    KafkaTimeoutError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)
from faststream import BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.state import RealProducer

logger = logging.getLogger(__name__)

# How long the replaced producer may take to close; its pending sends have already failed.
_CLOSE_OLD_S = 5.0
# Errors after which this producer's id and sequence numbers are worthless to the broker.
_STALE_PRODUCER = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    ProducerFenced,
)


class ProducerRestarted(KafkaError):  # type: ignore[misc]
    """The producer had stopped delivering and was replaced: the same publish will succeed."""

    retriable = True


class ProducerGuard:
    """Deadline on each publish of `broker`, and a new producer when the old one's sender ended.

    `broker` is set once the broker exists (its middlewares are built before it).
    `new_producer` builds an unstarted producer with the broker's own connection settings;
    tests give a fake.
    """

    def __init__(
        self, timeout_s: float, new_producer: Callable[[], AIOKafkaProducer] | None = None
    ) -> None:
        self.broker: KafkaBroker | None = None
        self.timeout_s = timeout_s
        self._new_producer = new_producer or self._producer_like_the_broker
        self._lock = asyncio.Lock()
        self.replaced = 0

    def middleware(self, msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return _GuardMiddleware(msg, context=context, guard=self)

    async def publish(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        if self.sender_ended():
            await self.revive_if_ended(self._current())
        used = self._current()
        try:
            return await asyncio.wait_for(call_next(cmd), self.timeout_s)
        except TimeoutError as exc:
            if await self.revive_if_ended(used):
                raise ProducerRestarted("the Kafka producer was replaced; publish again") from exc
            raise KafkaTimeoutError(
                f"publish to {getattr(cmd, 'destination', '?')} not acknowledged "
                f"within {self.timeout_s:g}s"
            ) from exc
        except KafkaError as exc:
            if await self.revive_if_ended(used, stale=isinstance(exc, _STALE_PRODUCER)):
                raise ProducerRestarted("the Kafka producer was replaced; publish again") from exc
            raise

    def sender_ended(self) -> bool:
        """True when the broker's producer is started but its sender task has ended."""
        producer = self._current()
        if producer is None:
            return False
        task = getattr(getattr(producer, "_sender", None), "sender_task", None)
        return task is not None and task.done()

    async def revive_if_ended(self, used: Any, *, stale: bool = False) -> bool:
        """Replace `used`, the producer a publish went through, if its sender ended or if it
        is `stale` (its id and sequences refused by the broker). True when it was replaced,
        now or by a concurrent publish."""
        if used is None:
            return False  # not connected yet, or already stopped
        async with self._lock:
            if self._current() is not used:
                return True  # a concurrent publish replaced it while this one waited
            assert used is not None  # narrowed again by the identity check above
            task = used._sender.sender_task
            ended = task is not None and task.done()
            if not (stale or ended):
                return False
            if ended:
                reason: object = task.exception() if not task.cancelled() else "cancelled"
            else:
                reason = "sequence state refused by the broker"
            logger.error(
                "Kafka producer stopped delivering; starting a new one",
                extra={"error": repr(reason)},
            )
            fresh = self._new_producer()
            # A broker that is still away makes this raise (a retriable connection error):
            # the old producer stays in place, and the next publish tries again.
            await fresh.start()
            # faststream keeps the started producer in this slot; swapping it in one step
            # means no concurrent publish ever finds the broker without a producer.
            self._fast_producer()._producer = RealProducer(fresh)
            self.replaced += 1
            with contextlib.suppress(Exception):
                await asyncio.wait_for(used.stop(), _CLOSE_OLD_S)
        return True

    def _fast_producer(self) -> Any:
        assert self.broker is not None, "ProducerGuard.broker must be set"
        return self.broker.config.producer

    def _current(self) -> AIOKafkaProducer | None:
        state = getattr(self._fast_producer(), "_producer", None)
        if not isinstance(state, RealProducer):
            return None  # not connected yet, or already stopped
        return state.producer

    def _producer_like_the_broker(self) -> AIOKafkaProducer:
        assert self.broker is not None, "ProducerGuard.broker must be set"
        return AIOKafkaProducer(**self.broker._connection_kwargs)


class _GuardMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, guard: ProducerGuard) -> None:
        super().__init__(msg, context=context)
        self.guard = guard

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        return await self.guard.publish(call_next, cmd)
