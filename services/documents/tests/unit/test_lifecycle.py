"""The document state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hoso_documents.domain import lifecycle
from hoso_documents.domain.models import (
    Document,
    DocumentStatus,
    PendingSignature,
    SignFailureReason,
    Version,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _version(number: int) -> Version:
    return Version(
        version=number,
        bucket="b",
        key=f"o/d/v{number}",
        sha256="0" * 64,
        size=1,
        content_type="application/pdf",
        filename="a.pdf",
        created_at=NOW,
        origin="upload" if number == 1 else "signing",
    )


def _document(
    status: DocumentStatus, *, request_id: str | None = None, **extra: object
) -> Document:
    pending = (
        PendingSignature(
            request_id=request_id, provider="vnpt-smartca", requested_at=NOW, version=1
        )
        if request_id
        else None
    )
    return Document(
        id="d",
        owner_id="o",
        name="Giấy tờ",
        status=status,
        created_at=NOW,
        updated_at=NOW,
        versions=[_version(1)],
        pending=pending,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "status", [DocumentStatus.DRAFT, DocumentStatus.SIGNED, DocumentStatus.SIGN_FAILED]
)
def test_signing_can_start_from_any_settled_state(status: DocumentStatus) -> None:
    lifecycle.check_can_request_signing(status)


def test_signing_refused_while_one_is_in_flight() -> None:
    with pytest.raises(lifecycle.SigningInFlight):
        lifecycle.check_can_request_signing(DocumentStatus.SIGNING)


@pytest.mark.parametrize("status", [DocumentStatus.UPLOADING, DocumentStatus.DELETING])
def test_hidden_states_refuse_everything(status: DocumentStatus) -> None:
    for check in (
        lifecycle.check_can_request_signing,
        lifecycle.check_can_delete,
        lifecycle.check_can_save,
    ):
        with pytest.raises(lifecycle.NotReady):
            check(status)


def test_delete_refused_while_signing() -> None:
    with pytest.raises(lifecycle.SigningInFlight):
        lifecycle.check_can_delete(DocumentStatus.SIGNING)
    lifecycle.check_can_delete(DocumentStatus.SIGNED)


def test_save_allowed_while_signing() -> None:
    lifecycle.check_can_save(DocumentStatus.SIGNING)


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [
        ("signed", DocumentStatus.SIGNED, None),
        ("rejected", DocumentStatus.SIGN_FAILED, SignFailureReason.REJECTED),
        ("expired", DocumentStatus.SIGN_FAILED, SignFailureReason.EXPIRED),
    ],
)
def test_sign_outcomes(
    outcome: str, status: DocumentStatus, reason: SignFailureReason | None
) -> None:
    result = lifecycle.sign_result(outcome)  # type: ignore[arg-type]
    assert result.status is status
    assert result.failure_reason is reason
    assert (result.message is None) == (reason is None)


@pytest.mark.parametrize(
    ("signing_reason", "reason"),
    [
        ("encrypted_pdf", SignFailureReason.ENCRYPTED_PDF),
        ("malformed_pdf", SignFailureReason.MALFORMED_PDF),
        ("cannot_prepare", SignFailureReason.MALFORMED_PDF),
        ("not_a_pdf", SignFailureReason.NOT_A_PDF),
        ("source_changed", SignFailureReason.DOCUMENT_UNAVAILABLE),
        ("provider_service_unavailable", SignFailureReason.PROVIDER_ERROR),
        ("invalid_provider_signature", SignFailureReason.PROVIDER_ERROR),
        ("finish_attempts_exhausted", SignFailureReason.SIGNING_ERROR),
        (None, SignFailureReason.SIGNING_ERROR),
    ],
)
def test_a_failure_keeps_its_own_reason(
    signing_reason: str | None, reason: SignFailureReason
) -> None:
    result = lifecycle.sign_result("failed", signing_reason)
    assert result.status is DocumentStatus.SIGN_FAILED
    assert result.failure_reason is reason
    assert result.message
    if reason is not SignFailureReason.PROVIDER_ERROR:
        assert "Đơn vị ký số" not in result.message  # the CA is not blamed


def test_completion_applies_only_to_the_pending_request() -> None:
    waiting = _document(DocumentStatus.SIGNING, request_id="r1")
    assert lifecycle.completion_applies(waiting, "r1")
    assert not lifecycle.completion_applies(waiting, "r2")
    assert not lifecycle.completion_applies(_document(DocumentStatus.SIGNED), "r1")
    assert not lifecycle.completion_applies(_document(DocumentStatus.DRAFT), "r1")


def test_next_version_number_follows_the_highest() -> None:
    document = _document(DocumentStatus.SIGNED).model_copy(
        update={"versions": [_version(1), _version(2)]}
    )
    assert lifecycle.next_version_number(document) == 3


def test_drafts_expire_after_the_ttl_unless_saved() -> None:
    ttl = timedelta(hours=24)
    draft = _document(DocumentStatus.DRAFT)
    assert lifecycle.draft_expires_at(draft, ttl) == NOW + ttl
    assert not lifecycle.is_expired_draft(draft, NOW + ttl - timedelta(seconds=1), ttl)
    assert lifecycle.is_expired_draft(draft, NOW + ttl, ttl)
    saved = _document(DocumentStatus.DRAFT, saved=True)
    assert lifecycle.draft_expires_at(saved, ttl) is None
    assert not lifecycle.is_expired_draft(saved, NOW + 10 * ttl, ttl)


def test_a_draft_being_signed_does_not_expire() -> None:
    ttl = timedelta(hours=1)
    signing = _document(DocumentStatus.SIGNING, request_id="r1")
    assert not lifecycle.is_expired_draft(signing, NOW + 2 * ttl, ttl)
