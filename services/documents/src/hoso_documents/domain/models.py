"""The vault's document model: versions, signatures, signing state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hoso_common.events import ObjectRef, PadesLevel, StampOptions
from hoso_common.pdf_check import ENCRYPTED_PDF, MALFORMED_PDF, NOT_A_PDF


class DocumentStatus(StrEnum):
    # Internal states a citizen never sees: the object is being written, or being removed.
    UPLOADING = "uploading"
    DELETING = "deleting"
    DRAFT = "draft"
    SIGNING = "signing"
    SIGNED = "signed"
    SIGN_FAILED = "sign_failed"


VISIBLE_STATUSES: tuple[DocumentStatus, ...] = (
    DocumentStatus.DRAFT,
    DocumentStatus.SIGNING,
    DocumentStatus.SIGNED,
    DocumentStatus.SIGN_FAILED,
)


class SignFailureReason(StrEnum):
    REJECTED = "rejected"
    EXPIRED = "expired"
    PROVIDER_ERROR = "provider_error"
    # The document itself, found only when signing it: never blamed on the CA.
    ENCRYPTED_PDF = "encrypted_pdf"
    MALFORMED_PDF = "malformed_pdf"
    NOT_A_PDF = "not_a_pdf"
    DOCUMENT_UNAVAILABLE = "document_unavailable"
    SIGNING_ERROR = "signing_error"


FAILURE_MESSAGES: dict[SignFailureReason, str] = {
    SignFailureReason.REJECTED: "Công dân đã từ chối ký trên ứng dụng của đơn vị ký số.",
    SignFailureReason.EXPIRED: "Yêu cầu ký số đã hết hạn mà chưa được xác nhận.",
    SignFailureReason.PROVIDER_ERROR: "Đơn vị ký số gặp lỗi khi ký tài liệu.",
    SignFailureReason.ENCRYPTED_PDF: ENCRYPTED_PDF.message,
    SignFailureReason.MALFORMED_PDF: MALFORMED_PDF.message,
    SignFailureReason.NOT_A_PDF: NOT_A_PDF.message,
    SignFailureReason.DOCUMENT_UNAVAILABLE: (
        "Tệp cần ký không còn đọc được hoặc đã thay đổi. Vui lòng tải lên lại rồi ký."
    ),
    SignFailureReason.SIGNING_ERROR: "Hệ thống ký số gặp lỗi khi ký tài liệu. Vui lòng ký lại.",
}

# signing's failure_reason -> the document's own reason.
_SIGNING_REASONS: dict[str, SignFailureReason] = {
    "encrypted_pdf": SignFailureReason.ENCRYPTED_PDF,
    "malformed_pdf": SignFailureReason.MALFORMED_PDF,
    "cannot_prepare": SignFailureReason.MALFORMED_PDF,
    "not_a_pdf": SignFailureReason.NOT_A_PDF,
    "source_missing": SignFailureReason.DOCUMENT_UNAVAILABLE,
    "source_changed": SignFailureReason.DOCUMENT_UNAVAILABLE,
    "source_too_large": SignFailureReason.DOCUMENT_UNAVAILABLE,
    "unknown_provider": SignFailureReason.PROVIDER_ERROR,
    "invalid_provider_signature": SignFailureReason.PROVIDER_ERROR,
    "certificate_expired_or_revoked": SignFailureReason.PROVIDER_ERROR,
}


def failure_reason_of(signing_reason: str | None) -> SignFailureReason:
    """The document's reason for a failed sign request, from the reason signing gave."""
    if signing_reason in _SIGNING_REASONS:
        return _SIGNING_REASONS[signing_reason]
    if signing_reason and signing_reason.startswith("provider_"):
        return SignFailureReason.PROVIDER_ERROR
    return SignFailureReason.SIGNING_ERROR


class Signature(BaseModel):
    """Who signed a version, with which certificate, and where a detached signature lives."""

    model_config = ConfigDict(frozen=True)

    format: Literal["pades", "cades"]
    # None for a result an agency signed and returned: its sign request was not the vault's.
    request_id: str | None = None
    provider: str | None = None
    signer_name: str | None = None
    signer_subject: str | None = None
    signer_serial: str | None = None
    signed_at: datetime | None = None
    pades_level: PadesLevel | None = None
    detached: ObjectRef | None = Field(
        default=None, description="The .p7s of a CAdES detached signature."
    )


class Version(BaseModel):
    """One stored file of a document: version 1 is the original, later ones are signed."""

    model_config = ConfigDict(frozen=True)

    version: int
    bucket: str
    key: str
    sha256: str
    size: int
    content_type: str
    filename: str
    created_at: datetime
    # "result": the signed result of a dossier, returned by the agency that processed it.
    origin: Literal["upload", "signing", "result"]
    signature: Signature | None = None

    def object_ref(self) -> ObjectRef:
        return ObjectRef(
            bucket=self.bucket,
            key=self.key,
            version=self.version,
            sha256=self.sha256,
            size=self.size,
            content_type=self.content_type,
            filename=self.filename,
        )


class PendingSignature(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_id: str
    provider: str
    requested_at: datetime
    version: int


class SignFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_id: str
    provider: str
    reason: SignFailureReason
    message: str
    provider_detail: str | None = None
    failed_at: datetime


class Document(BaseModel):
    """A citizen's document in the vault ("Hồ sơ điện tử")."""

    model_config = ConfigDict(frozen=True)

    id: str
    owner_id: str
    name: str
    status: DocumentStatus
    saved: bool = False
    created_at: datetime
    updated_at: datetime
    saved_at: datetime | None = None
    versions: list[Version] = Field(default_factory=list)
    pending: PendingSignature | None = None
    failure: SignFailure | None = None

    @property
    def current(self) -> Version:
        return self.versions[-1]

    def version(self, number: int) -> Version | None:
        return next((v for v in self.versions if v.version == number), None)


class SignOptions(BaseModel):
    """What the citizen chose when asking for "Ký số"."""

    model_config = ConfigDict(frozen=True)

    provider: str
    reason: str | None = None
    location: str | None = None
    visible_stamp: StampOptions | None = None


class UploadInput(BaseModel):
    """The text fields of an upload, validated."""

    model_config = ConfigDict(frozen=True)

    name: str
    sign: SignOptions | None = None
