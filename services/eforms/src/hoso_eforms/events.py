"""Kafka subscribers of the eforms service."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import subscriber
from hoso_common.events import Envelope, SignCompleted
from hoso_common.reconciler import SignReconciler
from hoso_eforms.service import EformsService

CONSUMER_GROUP = "eforms"


def register_subscribers(
    broker: KafkaBroker, service: EformsService, reconciler: SignReconciler | None = None
) -> None:
    @subscriber(broker, topics.SIGN_COMPLETED, group_id=CONSUMER_GROUP)
    async def on_sign_completed(envelope: Envelope[SignCompleted]) -> None:
        """A sign request ended: mark the e-form signed (frozen) or failed (editable)."""
        event = envelope.data
        applied = await service.handle_sign_completed(event)
        if applied and event.reconciled and reconciler is not None:
            reconciler.repaired(event.source_id, event.request_id, event.status)
