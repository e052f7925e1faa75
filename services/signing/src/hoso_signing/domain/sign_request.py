"""The sign request aggregate: what the citizen asked to sign, and how far it has come."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hoso_common.events import ObjectRef, SignCompleted, SignRequested, SignSource, StampOptions
from hoso_signing.domain.states import SignStatus, completed_outcome

AnswerVia = Literal["webhook", "poll", "otp"]
SignatureFormat = Literal["pades", "cades"]


class RecordedAnswer(BaseModel):
    """The CA's answer as recorded, and how it reached us."""

    model_config = ConfigDict(frozen=True)

    outcome: str
    reason: str | None = None
    via: AnswerVia
    at: datetime


# The fields of SignRequested a request keeps as they were asked for.
_AS_ASKED = {
    "source",
    "source_id",
    "document_name",
    "object",
    "signer_id",
    "signer_sub",
    "provider",
    "reason",
    "location",
    "visible_stamp",
}


class SignRequest(BaseModel):
    """One request to sign one file version, from SignRequested to its final state.

    The fields after `trace` are filled as the request moves on: prepared (format, digest,
    signer), awaiting the CA (transaction), answered, then finished or failed. Light reads
    leave the finishing state out.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    status: SignStatus
    source: SignSource
    source_id: str
    document_name: str
    # None only for the failed request a status query leaves behind for a request never seen.
    object: ObjectRef | None = None
    signer_id: str
    signer_sub: str
    provider: str
    reason: str | None = None
    location: str | None = None
    visible_stamp: StampOptions | None = None
    created_at: datetime
    updated_at: datetime
    trace: dict[str, str] | None = None

    format: SignatureFormat | None = None
    state: dict[str, Any] | None = Field(default=None, description="CAdES finishing state.")
    to_be_signed: bytes | None = None
    prepared_key: str | None = None
    signer_subject: str | None = None
    signer_name: str | None = None
    signer_serial: str | None = None

    transaction_id: str | None = None
    tran_code: str | None = None
    expires_at: datetime | None = None

    answer: RecordedAnswer | None = None
    signature_value: bytes | None = None

    finish_attempts: int = 1
    signed_object: ObjectRef | None = None
    signed_at: datetime | None = None
    signature_level: str | None = None
    failure_reason: str | None = None

    @classmethod
    def requested(cls, request: SignRequested, now: datetime, trace: dict[str, str]) -> SignRequest:
        asked = request.model_dump(include=_AS_ASKED)
        return cls(
            id=request.request_id,
            status=SignStatus.REQUESTED,
            created_at=now,
            updated_at=now,
            trace=trace,
            **asked,
        )

    @classmethod
    def lost(
        cls, request_id: str, source: SignSource, source_id: str, now: datetime
    ) -> SignRequest:
        """The failed request that stands for one never received, so a late one cannot start."""
        return cls(
            id=request_id,
            status=SignStatus.FAILED,
            failure_reason="request_lost",
            source=source,
            source_id=source_id,
            document_name="",
            signer_id="",
            signer_sub="",
            provider="",
            created_at=now,
            updated_at=now,
        )

    def completed(self, status: SignStatus, **fields: Any) -> SignCompleted:
        """The SignCompleted that announces this request ending in `status`."""
        return SignCompleted(
            request_id=self.id,
            source=self.source,
            source_id=self.source_id,
            status=completed_outcome(status),
            signer_sub=self.signer_sub or None,
            signer_subject=self.signer_subject,
            signer_name=self.signer_name,
            signer_serial=self.signer_serial,
            **fields,
        )

    def announced_again(self) -> SignCompleted:
        """The outcome of an ended request, for a service that waited too long for it."""
        if self.status is SignStatus.COMPLETED:
            return self.completed(
                self.status,
                signed_object=self.signed_object,
                signature_format=self.format,
                signed_at=self.signed_at,
                pades_level=self.signature_level if self.format == "pades" else None,
                reconciled=True,
            )
        return self.completed(self.status, failure_reason=self.failure_reason, reconciled=True)
