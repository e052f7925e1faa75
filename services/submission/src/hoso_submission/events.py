"""Kafka subscribers of the submission service."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import subscriber
from hoso_common.events import Envelope, SignCompleted
from hoso_common.reconciler import SignReconciler
from hoso_submission.service import DossierService


def register_subscribers(
    broker: KafkaBroker,
    service: DossierService,
    *,
    group_id: str,
    reconciler: SignReconciler | None = None,
) -> None:
    @subscriber(broker, topics.SIGN_COMPLETED, group_id=group_id)
    async def on_sign_completed(envelope: Envelope[SignCompleted]) -> None:
        """Record the outcome of the signing of a dossier's result (idempotent)."""
        event = envelope.data
        if event.source != "submission":
            return
        applied = await service.record_result_signature(event)
        if applied and event.reconciled and reconciler is not None:
            reconciler.repaired(event.source_id, event.request_id, event.status)
