"""Kafka subscribers of the submission service: its own dossier events feed the statistics."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import subscriber
from hoso_common.events import DossierStatusChanged, DossierSubmitted, Envelope
from hoso_submission.statistics import StatisticsService


def register_subscribers(
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
