"""Kafka subscribers of the documents service."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.broker import subscriber
from hoso_common.events import DossierResultReturned, Envelope, SignCompleted
from hoso_common.reconciler import SignReconciler
from hoso_documents.service import Vault

logger = logging.getLogger(__name__)


def register_subscribers(
    broker: KafkaBroker, vault: Vault, *, group_id: str, reconciler: SignReconciler | None = None
) -> None:
    @subscriber(broker, topics.SIGN_COMPLETED, group_id=group_id)
    async def on_sign_completed(envelope: Envelope[SignCompleted]) -> None:
        """Record the outcome of a signing the vault asked for (idempotent)."""
        if envelope.data.source != "documents":
            return
        applied = await vault.record_sign_result(envelope.data)
        if applied and envelope.data.reconciled and reconciler is not None:
            reconciler.repaired(
                envelope.data.source_id, envelope.data.request_id, envelope.data.status
            )

    @subscriber(broker, topics.DOSSIER_RESULT_RETURNED, group_id=group_id)
    async def on_result_returned(envelope: Envelope[DossierResultReturned]) -> None:
        """Put a copy of a dossier's signed result into its citizen's vault (idempotent)."""
        await vault.receive_result(envelope.data)
