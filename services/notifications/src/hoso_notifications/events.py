"""Kafka subscribers of the notifications service: the events that concern a person."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import subscriber
from hoso_common.events import (
    DossierResultReturned,
    DossierStatusChanged,
    DossierSubmitted,
    Envelope,
    SignCompleted,
)
from hoso_notifications.service import NotificationService


def register_subscribers(
    broker: KafkaBroker, service: NotificationService, *, group_id: str
) -> None:
    # One consumer per topic, all in one group: the offset is committed only after the
    # notification (and the messages it queues) is stored, so an event is never skipped.
    @subscriber(broker, topics.SIGN_COMPLETED, group_id=group_id)
    async def on_sign_completed(envelope: Envelope[SignCompleted]) -> None:
        """Tell the signer how their signing ended."""
        await service.record(envelope)

    @subscriber(broker, topics.DOSSIER_SUBMITTED, group_id=group_id)
    async def on_dossier_submitted(envelope: Envelope[DossierSubmitted]) -> None:
        """Tell the citizen their dossier was submitted, with its receipt code."""
        await service.record(envelope)

    @subscriber(broker, topics.DOSSIER_STATUS_CHANGED, group_id=group_id)
    async def on_dossier_status_changed(envelope: Envelope[DossierStatusChanged]) -> None:
        """Tell the citizen their dossier's new status, and e-mail it."""
        await service.record(envelope)

    @subscriber(broker, topics.DOSSIER_RESULT_RETURNED, group_id=group_id)
    async def on_dossier_result_returned(envelope: Envelope[DossierResultReturned]) -> None:
        """Tell the citizen their result was returned, and e-mail it."""
        await service.record(envelope)
