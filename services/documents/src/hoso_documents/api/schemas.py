"""Request and response bodies of the documents API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from hoso_common.events import ObjectRef, PadesLevel, StampOptions
from hoso_documents.domain.files import clean_text
from hoso_documents.domain.lifecycle import draft_expires_at
from hoso_documents.domain.models import (
    Document,
    DocumentStatus,
    SignFailureReason,
    SignOptions,
    Version,
)

PublicStatus = Literal["draft", "signing", "signed", "sign_failed"]


def _clean_optional(value: Any) -> Any:
    if isinstance(value, str):
        value = clean_text(value)
        return value or None
    return value


class SignOptionsFields(BaseModel):
    """Signing choices shared by the upload form and the sign request."""

    provider: str = Field(
        description="Provider id, e.g. vnpt-smartca, viettel-mysign or fpt-esign."
    )
    reason: str | None = Field(default=None, max_length=255, description="Signing reason.")
    location: str | None = Field(default=None, max_length=255, description="Signing location.")
    visible_stamp: bool | StampOptions = Field(
        default=False, description="Draw a visible stamp (PDF only); true for the default box."
    )

    _clean = field_validator("reason", "location", mode="before")(_clean_optional)

    def to_options(self) -> SignOptions:
        stamp = self.visible_stamp
        return SignOptions(
            provider=self.provider,
            reason=self.reason,
            location=self.location,
            visible_stamp=StampOptions() if stamp is True else (stamp or None),
        )


class SignRequestCreate(SignOptionsFields):
    """Ask to sign the current version of a document ("Ký số")."""


class UploadForm(BaseModel):
    """Text fields of the upload form ("+ Tải tài liệu mới")."""

    name: str = Field(min_length=1, max_length=255, description="Tên giấy tờ.")
    sign: bool = Field(default=False, description="Ask for signing right after the upload.")
    provider: str | None = None
    reason: str | None = Field(default=None, max_length=255)
    location: str | None = Field(default=None, max_length=255)
    visible_stamp: bool = False

    @field_validator("name", mode="before")
    @classmethod
    def _clean_name(cls, value: Any) -> Any:
        return clean_text(value) if isinstance(value, str) else value

    _clean = field_validator("provider", "reason", "location", mode="before")(_clean_optional)


class SignaturePublic(BaseModel):
    format: Literal["pades", "cades"] = Field(description="PAdES (in the PDF) or CAdES detached.")
    provider: str | None = Field(description="None for a dossier result signed by its agency.")
    request_id: str | None
    signer_name: str | None
    signer_subject: str | None
    signer_serial: str | None = Field(description="Signer certificate serial (hex).")
    signed_at: datetime | None
    pades_level: PadesLevel | None
    signature_object: ObjectRef | None = Field(
        description="The detached .p7s (CAdES), downloadable with part=signature."
    )


class VersionPublic(BaseModel):
    """One version; its fields are an ObjectRef, repeated under `object` for convenience."""

    version: int
    bucket: str
    key: str
    sha256: str
    size: int
    content_type: str
    filename: str
    created_at: datetime
    origin: Literal["upload", "signing", "result"] = Field(
        description="upload, signing, or result: a dossier's signed result from its agency."
    )
    object: ObjectRef
    signature: SignaturePublic | None

    @classmethod
    def of(cls, version: Version) -> VersionPublic:
        signature = version.signature
        return cls(
            **version.model_dump(exclude={"signature"}),
            object=version.object_ref(),
            signature=SignaturePublic(
                **signature.model_dump(exclude={"detached"}), signature_object=signature.detached
            )
            if signature
            else None,
        )


class SigningPublic(BaseModel):
    request_id: str
    provider: str
    requested_at: datetime
    version: int = Field(description="The version being signed.")


class SignFailurePublic(BaseModel):
    request_id: str
    provider: str
    reason: SignFailureReason
    message: str = Field(description="Vietnamese explanation for the citizen.")
    provider_detail: str | None
    failed_at: datetime


class DocumentPublic(BaseModel):
    id: str
    name: str = Field(description="Tên giấy tờ.")
    status: PublicStatus
    saved: bool = Field(description="Whether the citizen pressed Lưu.")
    created_at: datetime
    updated_at: datetime
    saved_at: datetime | None
    expires_at: datetime | None = Field(description="When an unsaved draft is removed.")
    current_version: int
    object: ObjectRef = Field(description="The current version's object.")
    versions: list[VersionPublic]
    signing: SigningPublic | None = Field(description="The sign request in flight.")
    failure: SignFailurePublic | None = Field(description="Why the last signing failed.")

    @classmethod
    def of(cls, document: Document, draft_ttl: timedelta) -> DocumentPublic:
        assert document.status not in {DocumentStatus.UPLOADING, DocumentStatus.DELETING}
        return cls(
            id=document.id,
            name=document.name,
            status=document.status.value,
            saved=document.saved,
            created_at=document.created_at,
            updated_at=document.updated_at,
            saved_at=document.saved_at,
            expires_at=draft_expires_at(document, draft_ttl),
            current_version=document.current.version,
            object=document.current.object_ref(),
            versions=[VersionPublic.of(v) for v in document.versions],
            signing=SigningPublic(**document.pending.model_dump()) if document.pending else None,
            failure=SignFailurePublic(**document.failure.model_dump())
            if document.failure
            else None,
        )


class DocumentPage(BaseModel):
    items: list[DocumentPublic]
    page: int
    size: int
    total: int


class VersionList(BaseModel):
    document_id: str
    current_version: int
    items: list[VersionPublic]
