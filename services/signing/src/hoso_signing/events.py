"""Kafka subscribers: take SignRequested in, finish SignApproved ones on any replica."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import publish_envelope, subscriber
from hoso_common.events import (
    Envelope,
    SignApproved,
    SignRequested,
    SignStatusQueried,
    new_envelope,
)
from hoso_signing.service import SigningService


def register_subscribers(
    broker: KafkaBroker,
    service: SigningService,
    *,
    requests_group: str,
    finisher_group: str,
    workers: int,
    status_group: str = "signing-status",
    source: str = "/hoso/signing",
) -> None:
    @subscriber(broker, topics.SIGN_REQUESTED, group_id=requests_group, max_workers=workers)
    async def take_sign_request(envelope: Envelope[SignRequested]) -> None:
        """Create the sign request (idempotent on request_id), prepare it and ask the CA."""
        await service.intake.accept(envelope.data)

    @subscriber(broker, topics.SIGN_APPROVED, group_id=finisher_group, max_workers=workers)
    async def finish_approved(envelope: Envelope[SignApproved]) -> None:
        """Embed the CA's signature and complete the request; other outcomes are final already."""
        if envelope.data.outcome == "approved":
            await service.finishing.finish(envelope.data.request_id)

    @subscriber(broker, topics.SIGN_STATUS_QUERIED, group_id=status_group)
    async def answer_status_query(envelope: Envelope[SignStatusQueried]) -> None:
        """Announce an ended request's outcome again to the service that still waits for it."""
        completed = await service.answers.answer_status_query(envelope.data)
        if completed is not None:
            await publish_envelope(
                broker,
                new_envelope(completed, source=source, correlation_id=envelope.correlationid),
            )
