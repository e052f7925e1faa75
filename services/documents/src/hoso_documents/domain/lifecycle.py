"""The document state machine: draft → signing → signed | sign_failed, plus the saved flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hoso_common.events import SignOutcome
from hoso_documents.domain.models import (
    FAILURE_MESSAGES,
    Document,
    DocumentStatus,
    SignFailureReason,
    failure_reason_of,
)


class TransitionRefused(Exception):
    """The document's current state does not allow the asked change."""


class SigningInFlight(TransitionRefused):
    pass


class NotReady(TransitionRefused):
    """The document is still being written or already being removed."""


SIGNABLE = frozenset({DocumentStatus.DRAFT, DocumentStatus.SIGNED, DocumentStatus.SIGN_FAILED})
DELETABLE = SIGNABLE
SAVABLE = frozenset(SIGNABLE | {DocumentStatus.SIGNING})


def _refuse_hidden(status: DocumentStatus) -> None:
    if status in {DocumentStatus.UPLOADING, DocumentStatus.DELETING}:
        raise NotReady(status.value)


def check_can_request_signing(status: DocumentStatus) -> None:
    """A new signing may start unless one is in flight; a signed document can be signed again."""
    _refuse_hidden(status)
    if status is DocumentStatus.SIGNING:
        raise SigningInFlight(status.value)


def check_can_delete(status: DocumentStatus) -> None:
    _refuse_hidden(status)
    if status is DocumentStatus.SIGNING:
        raise SigningInFlight(status.value)


def check_can_save(status: DocumentStatus) -> None:
    _refuse_hidden(status)


@dataclass(frozen=True)
class SignResult:
    """Where one finished sign request leaves the document."""

    status: DocumentStatus
    failure_reason: SignFailureReason | None = None

    @property
    def message(self) -> str | None:
        return FAILURE_MESSAGES[self.failure_reason] if self.failure_reason else None


_OUTCOMES: dict[SignOutcome, SignResult] = {
    "signed": SignResult(DocumentStatus.SIGNED),
    "rejected": SignResult(DocumentStatus.SIGN_FAILED, SignFailureReason.REJECTED),
    "expired": SignResult(DocumentStatus.SIGN_FAILED, SignFailureReason.EXPIRED),
}


def sign_result(outcome: SignOutcome, signing_reason: str | None = None) -> SignResult:
    """Where the outcome leaves the document; a failure keeps signing's reason, in our terms."""
    if outcome == "failed":
        return SignResult(DocumentStatus.SIGN_FAILED, failure_reason_of(signing_reason))
    return _OUTCOMES[outcome]


def completion_applies(document: Document, request_id: str) -> bool:
    """Only the sign request the document waits for may finish it; repeats change nothing."""
    return (
        document.status is DocumentStatus.SIGNING
        and document.pending is not None
        and document.pending.request_id == request_id
    )


def next_version_number(document: Document) -> int:
    return max((v.version for v in document.versions), default=0) + 1


def draft_expires_at(document: Document, ttl: timedelta) -> datetime | None:
    """When an unsaved document disappears; saved ones never expire."""
    if document.saved:
        return None
    return document.created_at + ttl


def is_expired_draft(document: Document, now: datetime, ttl: timedelta) -> bool:
    expires = draft_expires_at(document, ttl)
    return (
        expires is not None
        and expires <= now
        and document.status
        in {DocumentStatus.DRAFT, DocumentStatus.SIGNED, DocumentStatus.SIGN_FAILED}
    )
