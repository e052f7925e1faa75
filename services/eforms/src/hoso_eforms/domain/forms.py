"""Form instances: status rules and the Vietnamese explanations of signing outcomes."""

from __future__ import annotations

from enum import StrEnum

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
