"""Kafka topic names, in one place."""

from typing import Final

DOCUMENT_UPLOADED: Final = "hoso.documents.uploaded"
SIGN_REQUESTED: Final = "hoso.signing.requested"
SIGN_APPROVED: Final = "hoso.signing.approved"
SIGN_COMPLETED: Final = "hoso.signing.completed"
DOSSIER_SUBMITTED: Final = "hoso.dossiers.submitted"
DOSSIER_STATUS_CHANGED: Final = "hoso.dossiers.status-changed"

DEAD_LETTER_SUFFIX: Final = ".dlt"

ALL_TOPICS: Final = (
    DOCUMENT_UPLOADED,
    SIGN_REQUESTED,
    SIGN_APPROVED,
    SIGN_COMPLETED,
    DOSSIER_SUBMITTED,
    DOSSIER_STATUS_CHANGED,
)

# Signing topics carry the callback bursts; their partition count bounds how many
# signing replicas can share the work, so it must be at least the replica maximum.
SIGNING_TOPICS: Final = (SIGN_REQUESTED, SIGN_APPROVED)


def dead_letter(topic: str) -> str:
    return f"{topic}{DEAD_LETTER_SUFFIX}"
