"""Kafka subscribers: take SignRequested in, finish SignApproved ones on any replica."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import subscriber
from hoso_common.events import Envelope, SignApproved, SignRequested
from hoso_signing.workflow import SigningWorkflow


def register_subscribers(
    broker: KafkaBroker,
    workflow: SigningWorkflow,
    *,
    requests_group: str,
    finisher_group: str,
    workers: int,
) -> None:
    @subscriber(broker, topics.SIGN_REQUESTED, group_id=requests_group, max_workers=workers)
    async def take_sign_request(envelope: Envelope[SignRequested]) -> None:
        """Create the sign request (idempotent on request_id), prepare it and ask the CA."""
        await workflow.accept(envelope.data)

    @subscriber(broker, topics.SIGN_APPROVED, group_id=finisher_group, max_workers=workers)
    async def finish_approved(envelope: Envelope[SignApproved]) -> None:
        """Embed the CA's signature and complete the request; other outcomes are final already."""
        if envelope.data.outcome == "approved":
            await workflow.finish(envelope.data.request_id)
