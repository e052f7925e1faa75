"""The dossier's result (kết quả giải quyết): the officer's PDF, its signing, and its return.

Life of a result, kept on the dossier itself:

    uploaded ──sign──► signing ──SignCompleted(signed)──► signed
       ▲                  │
       └──upload again────┴──SignCompleted(rejected/expired/failed)──► sign_failed ──sign──► …

The officer may replace or re-sign the result only while the dossier is "Đang xử lý" (4) and no
signature is awaited. "Hoàn thành" (4 → 9) needs a signed result whose signature validates
(signed, intact, trusted); "Trả kết quả" (9 → 10) hands that signed file to the citizen.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from hoso_common.events import ObjectRef, PadesLevel
from hoso_submission.domain.signature_check import SignatureCheck
from hoso_submission.domain.status import DossierStatus


class ResultStatus(StrEnum):
    UPLOADED = "uploaded"
    SIGNING = "signing"
    SIGNED = "signed"
    SIGN_FAILED = "sign_failed"


# The dossier status in which the officer prepares the result.
RESULT_EDITABLE_STATUS = DossierStatus.PROCESSING
# signing's failure reasons that the officer reads about, in Vietnamese.
SIGN_FAILURE_MESSAGES = {
    "rejected": "Yêu cầu ký số đã bị từ chối trên ứng dụng ký số.",
    "expired": "Yêu cầu ký số đã hết hạn mà chưa được xác nhận.",
}
SIGN_FAILURE_DEFAULT = "Không ký số được kết quả giải quyết. Vui lòng ký lại."


class ResultSignRequest(BaseModel):
    """The sign request that the result waits for, or last waited for."""

    request_id: str
    provider: str
    requested_at: datetime
    signer_sub: str = Field(description="OIDC subject of the officer asked to sign.")


class ResultSignature(BaseModel):
    """Who signed the result, as signing reported it."""

    signed_by: str = Field(description="OIDC subject of the officer who signed.")
    signer_name: str | None = None
    signer_subject: str | None = None
    signer_serial: str | None = None
    signed_at: datetime | None = None
    pades_level: PadesLevel | None = None


class DossierResult(BaseModel):
    """The result document of a dossier, from upload to its return to the citizen."""

    status: ResultStatus
    original: ObjectRef = Field(description="The PDF as the officer uploaded it.")
    uploaded_by: str
    uploaded_by_name: str | None = None
    uploaded_at: datetime
    sign_request: ResultSignRequest | None = None
    signed: ObjectRef | None = Field(default=None, description="The signed PDF, once signed.")
    signature: ResultSignature | None = None
    failure_reason: str | None = None
    failure_message: str | None = None
    check: SignatureCheck | None = Field(
        default=None, description="The validation made when the dossier was completed."
    )
    returned_at: datetime | None = None

    @property
    def awaiting_signature(self) -> bool:
        return self.status is ResultStatus.SIGNING


class ResultProblem(StrEnum):
    """Why a dossier cannot be completed with its result; the value is the API's code."""

    MISSING = "result_missing"
    NOT_SIGNED = "result_not_signed"
    SIGNATURE_INVALID = "result_signature_invalid"


RESULT_PROBLEM_MESSAGES = {
    ResultProblem.MISSING: (
        "Hồ sơ chưa có kết quả giải quyết. Vui lòng tải lên tệp kết quả (PDF) và ký số "
        "trước khi hoàn thành."
    ),
    ResultProblem.NOT_SIGNED: (
        "Kết quả giải quyết chưa được ký số. Vui lòng ký số kết quả trước khi hoàn thành."
    ),
    ResultProblem.SIGNATURE_INVALID: (
        "Chữ ký số trên kết quả giải quyết không hợp lệ (tệp đã bị thay đổi sau khi ký hoặc "
        "chứng thư số không được tin cậy). Vui lòng tải lên và ký số lại."
    ),
}


def completion_problem(result: DossierResult | None) -> ResultProblem | None:
    """What keeps a dossier from "Hoàn thành" before its signature is validated."""
    if result is None:
        return ResultProblem.MISSING
    if result.status is not ResultStatus.SIGNED or result.signed is None:
        return ResultProblem.NOT_SIGNED
    return None


def signature_problem(check: SignatureCheck) -> ResultProblem | None:
    """The validator's verdict on the signed result, as a reason to refuse completion."""
    if not check.signed:
        return ResultProblem.NOT_SIGNED
    if not (check.intact and check.trusted):
        return ResultProblem.SIGNATURE_INVALID
    return None


def sign_failure_message(outcome: str) -> str:
    return SIGN_FAILURE_MESSAGES.get(outcome, SIGN_FAILURE_DEFAULT)
