"""Request and response bodies of the signing API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from hoso_common.events import ObjectRef
from hoso_common.validation import BucketName, ObjectKey


class ProviderPublic(BaseModel):
    """A remote-signing provider the citizen can choose."""

    id: str = Field(description="Provider id used in sign requests, e.g. vnpt-smartca.")
    name: str = Field(description="Vietnamese display name.")
    approval: Literal["webhook", "polling"] = Field(description="How the result is learnt.")


class CallbackAck(BaseModel):
    """What the callback endpoint did with a CA's notification."""

    status: Literal["recorded", "duplicate", "ignored"]


class SignRequestPublic(BaseModel):
    """A sign request as its citizen sees it in the portal."""

    request_id: str
    status: str = Field(description="State of the request (requested … completed/failed).")
    phase: Literal["pending", "success", "failure"] = Field(
        description="pending shows 'Thông báo chờ xử lý'; success or failure end it."
    )
    message: str = Field(description="Vietnamese message for the portal.")
    failure_reason: str | None = Field(default=None, description="Stable reason code.")
    failure_message: str | None = Field(default=None, description="Vietnamese reason.")
    provider: str
    provider_name: str | None = None
    document_name: str
    source: str
    source_id: str
    transaction_code: str | None = Field(
        default=None, description="Short code shown on the phone to match the request."
    )
    expires_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    signed_object: ObjectRef | None = None
    signed_at: datetime | None = None
    signer_name: str | None = None
    signature_level: str | None = None


class ValidationCreate(BaseModel):
    """Validate an object already in storage (JSON form of POST /v1/validations)."""

    bucket: BucketName
    key: ObjectKey
    signature_bucket: BucketName | None = None
    signature_key: ObjectKey | None = None


class SignerPublic(BaseModel):
    subject: str
    common_name: str | None
    serial_number: str = Field(description="Certificate serial number (hex).")
    issuer: str
    subject_serial: str | None = Field(description="Subject serialNumber, e.g. CCCD:<id>.")


class TimestampPublic(BaseModel):
    time: datetime
    tsa: str | None
    valid: bool


class SignatureReportPublic(BaseModel):
    """Findings about one signature and its one-line Vietnamese verdict."""

    format: Literal["pades", "cades"]
    field_name: str | None
    valid: bool
    verdict: str
    signer: SignerPublic | None
    signer_name: str | None
    trusted: bool = Field(description="Chains to a root of the configured trust store.")
    chain: list[str]
    intact: bool = Field(description="The signed bytes are unchanged.")
    cryptographically_valid: bool
    coverage: Literal["entire_file", "entire_revision", "partial", "unknown"]
    changed_after_signing: bool
    modifications_allowed: bool
    revocation: Literal["good", "revoked", "unknown"]
    signing_time: datetime | None
    timestamp: TimestampPublic | None
    pades_level: str | None
    problems: list[str]


class ValidationPublic(BaseModel):
    """The validation report of a file ("kết quả kiểm tra chữ ký số")."""

    valid: bool = Field(description="Every signature is valid (and there is at least one).")
    verdict: str
    signature_count: int
    signatures: list[SignatureReportPublic]
