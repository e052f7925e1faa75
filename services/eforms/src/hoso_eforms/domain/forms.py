"""Form instances: the model, status rules and the Vietnamese explanations of signing outcomes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from hoso_common.events import ObjectRef
from hoso_common.providers import PROVIDER_IDS, ProviderId

SUCCESS_MESSAGE = "Thực hiện thành công"
SIGN_PROVIDERS = PROVIDER_IDS
SignProvider = ProviderId


class FormStatus(StrEnum):
    SAVED = "saved"
    SIGNING = "signing"
    SIGNED = "signed"
    SIGN_FAILED = "sign_failed"


EDITABLE = (FormStatus.SAVED, FormStatus.SIGN_FAILED)
RENDERED_VERSION = 1
SIGNED_VERSION = 2


class FormSignRequest(BaseModel):
    """The sign request a form waits on while signing, and last waited on after."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    provider: str
    requested_at: datetime


class FormSignature(BaseModel):
    """Who signed the form's PDF, as the signing service reported it."""

    model_config = ConfigDict(frozen=True)

    format: str | None = None
    signer_name: str | None = None
    signer_subject: str | None = None
    signer_serial: str | None = None
    signed_at: datetime | None = None
    pades_level: str | None = None


class Form(BaseModel):
    """A citizen's filled form: its data, the template version it follows, its signing."""

    model_config = ConfigDict(frozen=True)

    id: str
    owner_sub: str
    owner_citizen_id: str | None = None
    template_code: str
    template_version: int
    procedure_code: str
    title: str
    data: dict[str, Any]
    status: FormStatus
    revision: int
    created_at: datetime
    updated_at: datetime
    failure_reason: str | None = None
    sign_outcome: str | None = None
    sign_request: FormSignRequest | None = None
    rendered: ObjectRef | None = None
    signing_started_at: datetime | None = None
    signed: ObjectRef | None = None
    signature: FormSignature | None = None
    signed_at: datetime | None = None

    @property
    def editable(self) -> bool:
        """Saved or failed forms may change; a form being signed or signed is frozen."""
        return self.status in EDITABLE

    def awaits(self, request_id: str) -> bool:
        """Whether the form is being signed by exactly this request."""
        return (
            self.status == FormStatus.SIGNING
            and self.sign_request is not None
            and self.sign_request.request_id == request_id
        )


def failure_reason(outcome: str, provider_reason: str | None) -> str:
    """What the citizen reads when a signing ended without a signature."""
    base = {
        "rejected": "Yêu cầu ký số đã bị từ chối trên ứng dụng ký số.",
        "expired": "Yêu cầu ký số đã hết hạn do chưa được xác nhận kịp thời.",
        "failed": "Ký số không thành công do lỗi từ nhà cung cấp dịch vụ ký số.",
    }.get(outcome, "Ký số không thành công.")
    if provider_reason:
        return f"{base} Chi tiết: {provider_reason}"
    return base


def pdf_filename(title: str, *, signed: bool) -> str:
    return f"{title} (đã ký số).pdf" if signed else f"{title}.pdf"
