"""problem+json errors that also carry each provider's own status fields.

The providers' errors differ only in status, code and message, so each is one row of a table
built into a class of its provider's kind.
"""

from __future__ import annotations

from typing import TypeVar

from hoso_common.errors import AppError, Conflict, NotFound

# The titles the providers' bodies use, by status.
_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found"}


class VnptProblem(AppError):
    """A VNPT SmartCA error: the body also has the provider's `status_code` and `message`."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, extra={"status_code": self.status, "message": self.code})


class ViettelProblem(AppError):
    """A Viettel MySign error: the body also has a `message` code."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, extra={"message": self.code})


Problem = TypeVar("Problem", bound=AppError)


def _problem(name: str, kind: type[Problem], status: int, code: str, detail: str) -> type[Problem]:
    attributes = {"status": status, "code": code, "title": _TITLES[status], "detail": detail}
    return type(name, (kind,), {"__module__": __name__, **attributes})


SpCredentialInvalid = _problem(
    "SpCredentialInvalid",
    VnptProblem,
    401,
    "SP_CREDENTIAL_INVALID",
    "Thông tin xác thực của đơn vị tích hợp (sp_id/sp_password) không đúng.",
)
VnptCredentialStatusInvalid = _problem(
    "VnptCredentialStatusInvalid",
    VnptProblem,
    403,
    "CREDENTIAL_STATUS_INVALID",
    "Chứng thư số của thuê bao đã bị thu hồi hoặc không còn hiệu lực.",
)
VnptRequestInvalid = _problem(
    "VnptRequestInvalid", VnptProblem, 400, "REQUEST_INVALID", "Yêu cầu ký không hợp lệ."
)
VnptTransactionNotFound = _problem(
    "VnptTransactionNotFound",
    VnptProblem,
    404,
    "TRANSACTION_NOT_FOUND",
    "Không tìm thấy giao dịch ký.",
)
ClientCredentialInvalid = _problem(
    "ClientCredentialInvalid",
    ViettelProblem,
    401,
    "CLIENT_CREDENTIAL_INVALID",
    "client_id hoặc client_secret không đúng.",
)
AccessTokenInvalid = _problem(
    "AccessTokenInvalid",
    ViettelProblem,
    401,
    "ACCESS_TOKEN_INVALID",
    "Mã truy cập không hợp lệ hoặc đã hết hạn.",
)
ViettelForbidden = _problem(
    "ViettelForbidden",
    ViettelProblem,
    403,
    "ACCESS_DENIED",
    "Mã truy cập không được cấp cho thuê bao hoặc đơn vị này.",
)
ViettelRequestInvalid = _problem(
    "ViettelRequestInvalid", ViettelProblem, 400, "REQUEST_INVALID", "Yêu cầu ký không hợp lệ."
)
CredentialNotFound = _problem(
    "CredentialNotFound",
    ViettelProblem,
    404,
    "CREDENTIAL_NOT_FOUND",
    "Không tìm thấy chứng thư số.",
)
ViettelTransactionNotFound = _problem(
    "ViettelTransactionNotFound",
    ViettelProblem,
    404,
    "TRANSACTION_NOT_FOUND",
    "Không tìm thấy giao dịch ký.",
)


class SignRequestNotFound(NotFound):
    code = "sign_request_not_found"
    detail = "Không tìm thấy yêu cầu ký."


class SignRequestClosed(Conflict):
    code = "sign_request_closed"
    detail = "Yêu cầu ký đã hết hạn hoặc đã được xử lý trước đó."


class CitizenNotFound(NotFound):
    code = "citizen_not_found"
    detail = "Không tìm thấy thuê bao."
