"""Kafka subscribers of the submission service: its result's signing, and the statistics."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import subscriber
from hoso_common.events import DossierStatusChanged, DossierSubmitted, Envelope, SignCompleted
from hoso_common.reconciler import SignReconciler
from hoso_submission.service import DossierService
from hoso_submission.statistics import StatisticsService


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


def register_statistics(
    broker: KafkaBroker, statistics: StatisticsService, *, group_id: str
) -> None:
    # Both events of a submission count the dossier once: the second finds it counted.
    @subscriber(broker, topics.DOSSIER_SUBMITTED, group_id=group_id)
    async def on_submitted(envelope: Envelope[DossierSubmitted]) -> None:
        """Count a newly submitted dossier in the statistics."""
        await statistics.record(envelope.data.dossier_id)

    @subscriber(broker, topics.DOSSIER_STATUS_CHANGED, group_id=group_id)
    async def on_status_changed(envelope: Envelope[DossierStatusChanged]) -> None:
        """Move a dossier between the statistics' counters."""
        await statistics.record(envelope.data.dossier_id)
