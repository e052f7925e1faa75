"""Kafka broker factory: idempotent producer, at-least-once consumers, retries, dead letters."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from aiokafka import ConsumerRecord
from fastapi.exceptions import RequestValidationError
from faststream import AckPolicy, BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.subscriber.usecase import DefaultSubscriber
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from hoso_common import topics
from hoso_common.broker_metrics import KafkaMetricsMiddleware
from hoso_common.events import Envelope, cloudevent_headers
from hoso_common.kafka_pacing import pace_failed_metadata_updates
from hoso_common.kafka_security import broker_security
from hoso_common.metrics import NO_METRICS, record_dead_letter
from hoso_common.producer_guard import ProducerGuard
from hoso_common.settings import KafkaSettings

logger = logging.getLogger(__name__)

# Errors that no retry can cure: the message itself is malformed.
_POISON = (ValidationError, RequestValidationError, json.JSONDecodeError, UnicodeDecodeError)


class DeadLetterPolicy:
    """Counts failed deliveries per record; past the bound the record goes to `<topic>.dlt`.

    A transient failure (database, object store or broker unavailable, see `faults`) is
    retried with capped exponential backoff until it succeeds and never counts towards the
    bound: only a message that fails for another reason can end in the dead-letter topic.

    The consumer nacks a failed record (seek back), so Kafka delivers it again; once the
    bound is reached, or at once for a malformed message, the record is copied to the
    dead-letter topic and acknowledged so the partition moves on.
    """

    def __init__(
        self, max_attempts: int, backoff_s: float = 0.2, max_backoff_s: float = 10.0
    ) -> None:
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.broker: KafkaBroker | None = None
        self._attempts: dict[tuple[str, int, int], int] = {}
        self._outage_attempts: dict[tuple[str, int, int], int] = {}

    def middleware(self, msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return _DeadLetterMiddleware(msg, context=context, policy=self)

    async def handle_failure(self, record: ConsumerRecord[Any, Any], error: BaseException) -> bool:
        """Return True when the failure is settled (sent to the dead-letter topic)."""
        # Imported here: the classification pulls in every client library, which a process
        # that only publishes need not load.
        from hoso_common.faults import is_transient

        key = (record.topic, record.partition, record.offset)
        if is_transient(error) and not isinstance(error, _POISON):
            # A dependency is away: the message is fine and will succeed once it is back,
            # so it waits however long that takes and is never dead-lettered for it.
            waits = self._outage_attempts.get(key, 0) + 1
            self._outage_attempts[key] = waits
            logger.warning(
                "dependency unavailable, will retry",
                extra={
                    "topic": record.topic,
                    "offset": record.offset,
                    "attempt": waits,
                    "error": repr(error),
                },
            )
            await asyncio.sleep(min(self.backoff_s * 2**waits, self.max_backoff_s))
            return False
        attempts = self._attempts.get(key, 0) + 1
        if attempts < self.max_attempts and not isinstance(error, _POISON):
            self._attempts[key] = attempts
            logger.warning(
                "handler failed, will retry",
                extra={
                    "topic": record.topic,
                    "offset": record.offset,
                    "attempt": attempts,
                    "error": repr(error),
                },
            )
            await asyncio.sleep(min(self.backoff_s * 2**attempts, 5.0))
            return False
        self._attempts.pop(key, None)
        self._outage_attempts.pop(key, None)
        await self._send_to_dead_letter(record, error, attempts)
        return True

    def forget(self, record: ConsumerRecord[Any, Any]) -> None:
        self._attempts.pop((record.topic, record.partition, record.offset), None)
        self._outage_attempts.pop((record.topic, record.partition, record.offset), None)

    async def _send_to_dead_letter(
        self, record: ConsumerRecord[Any, Any], error: BaseException, attempts: int
    ) -> None:
        assert self.broker is not None, "DeadLetterPolicy.broker must be set"
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
        headers.update(
            {
                "x-dlt-original-topic": record.topic,
                "x-dlt-original-partition": str(record.partition),
                "x-dlt-original-offset": str(record.offset),
                "x-dlt-attempts": str(attempts),
                "x-dlt-error": repr(error)[:500],
            }
        )
        await self.broker.publish(
            record.value or b"",
            topic=topics.dead_letter(record.topic),
            key=record.key,
            headers=headers,
        )
        record_dead_letter(record.topic)
        logger.error(
            "message sent to dead-letter topic",
            extra={
                "topic": record.topic,
                "offset": record.offset,
                "attempts": attempts,
                "error": repr(error),
            },
        )


class _DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if not isinstance(self.msg, ConsumerRecord):
            return False
        if exc_val is None:
            self.policy.forget(self.msg)
            return False
        if not isinstance(exc_val, Exception):
            return False
        return await self.policy.handle_failure(self.msg, exc_val)


def create_broker(
    settings: KafkaSettings, *, client_id: str, tracer_provider: TracerProvider | None = None
) -> KafkaBroker:
    pace_failed_metadata_updates()
    dead_letters = DeadLetterPolicy(settings.kafka_max_attempts)
    guard = ProducerGuard(settings.kafka_publish_timeout_s)
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        security=broker_security(settings),
        retry_backoff_ms=settings.kafka_retry_backoff_ms,
        acks="all",
        enable_idempotence=True,
        middlewares=(
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider, meter_provider=NO_METRICS),
            dead_letters.middleware,
            KafkaMetricsMiddleware,
            guard.middleware,
        ),
        logger=logging.getLogger(f"{client_id}.broker"),
    )
    dead_letters.broker = guard.broker = broker
    return broker


def subscriber(
    broker: KafkaBroker, topic: str, *, group_id: str, **options: Any
) -> DefaultSubscriber:
    """A consumer that commits only after its handler succeeded (at-least-once)."""
    sub: DefaultSubscriber = broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        **options,
    )
    return sub


async def publish_envelope(broker: KafkaBroker, envelope: Envelope[Any]) -> None:
    await broker.publish(
        envelope.model_dump(mode="json"),
        topic=envelope.data.topic,
        key=envelope.data.partition_key().encode(),
        headers=cloudevent_headers(envelope),
    )


async def ensure_topics(settings: KafkaSettings, names: Iterable[str] = topics.ALL_TOPICS) -> None:
    """Create the missing topics (and dead-letter topics) from their definition in topics."""
    for line in await topics.ensure(settings, names):
        logger.debug(line)
