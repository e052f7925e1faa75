"""Kafka topic names, in one place.

`HOSO_KAFKA_TOPIC_PREFIX` (read once, at import) is put before every name, so that separate
environments, or a benchmark, can share one Kafka cluster without reading each other's
events.
"""

import os
import re
from typing import Final

PREFIX: Final = os.environ.get("HOSO_KAFKA_TOPIC_PREFIX", "")
if not re.fullmatch(r"[A-Za-z0-9._-]*", PREFIX):
    raise ValueError(f"HOSO_KAFKA_TOPIC_PREFIX may hold only A-Z a-z 0-9 . _ -: {PREFIX!r}")

DOCUMENT_UPLOADED: Final = f"{PREFIX}hoso.documents.uploaded"
SIGN_REQUESTED: Final = f"{PREFIX}hoso.signing.requested"
SIGN_APPROVED: Final = f"{PREFIX}hoso.signing.approved"
SIGN_COMPLETED: Final = f"{PREFIX}hoso.signing.completed"
SIGN_STATUS_QUERIED: Final = f"{PREFIX}hoso.signing.status-queried"
DOSSIER_SUBMITTED: Final = f"{PREFIX}hoso.dossiers.submitted"
DOSSIER_STATUS_CHANGED: Final = f"{PREFIX}hoso.dossiers.status-changed"

DEAD_LETTER_SUFFIX: Final = ".dlt"

ALL_TOPICS: Final = (
    DOCUMENT_UPLOADED,
    SIGN_REQUESTED,
    SIGN_APPROVED,
    SIGN_COMPLETED,
    SIGN_STATUS_QUERIED,
    DOSSIER_SUBMITTED,
    DOSSIER_STATUS_CHANGED,
)

# Signing topics carry the callback bursts; their partition count bounds how many
# signing replicas can share the work, so it must be at least the replica maximum.
SIGNING_TOPICS: Final = (SIGN_REQUESTED, SIGN_APPROVED)


def dead_letter(topic: str) -> str:
    return f"{topic}{DEAD_LETTER_SUFFIX}"
