"""problem+json errors that also carry each provider's own status fields."""

from __future__ import annotations

from hoso_common.errors import AppError, Conflict, NotFound


class VnptProblem(AppError):
    """A VNPT SmartCA error: the body also has the provider's `status_code` and `message`."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, extra={"status_code": self.status, "message": self.code})


class SpCredentialInvalid(VnptProblem):
    status, code, title = 401, "SP_CREDENTIAL_INVALID", "Unauthorized"
    detail = "Thông tin xác thực của đơn vị tích hợp (sp_id/sp_password) không đúng."


class VnptCredentialStatusInvalid(VnptProblem):
    status, code, title = 403, "CREDENTIAL_STATUS_INVALID", "Forbidden"
    detail = "Chứng thư số của thuê bao đã bị thu hồi hoặc không còn hiệu lực."


class VnptRequestInvalid(VnptProblem):
    status, code, title = 400, "REQUEST_INVALID", "Bad request"
    detail = "Yêu cầu ký không hợp lệ."


class VnptTransactionNotFound(VnptProblem):
    status, code, title = 404, "TRANSACTION_NOT_FOUND", "Not found"
    detail = "Không tìm thấy giao dịch ký."


class ViettelProblem(AppError):
    """A Viettel MySign error: the body also has a `message` code."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, extra={"message": self.code})


class ClientCredentialInvalid(ViettelProblem):
    status, code, title = 401, "CLIENT_CREDENTIAL_INVALID", "Unauthorized"
    detail = "client_id hoặc client_secret không đúng."


class AccessTokenInvalid(ViettelProblem):
    status, code, title = 401, "ACCESS_TOKEN_INVALID", "Unauthorized"
    detail = "Mã truy cập không hợp lệ hoặc đã hết hạn."


class ViettelForbidden(ViettelProblem):
    status, code, title = 403, "ACCESS_DENIED", "Forbidden"
    detail = "Mã truy cập không được cấp cho thuê bao hoặc đơn vị này."


class ViettelRequestInvalid(ViettelProblem):
    status, code, title = 400, "REQUEST_INVALID", "Bad request"
    detail = "Yêu cầu ký không hợp lệ."


class CredentialNotFound(ViettelProblem):
    status, code, title = 404, "CREDENTIAL_NOT_FOUND", "Not found"
    detail = "Không tìm thấy chứng thư số."


class ViettelTransactionNotFound(ViettelProblem):
    status, code, title = 404, "TRANSACTION_NOT_FOUND", "Not found"
    detail = "Không tìm thấy giao dịch ký."


class SignRequestNotFound(NotFound):
    code = "sign_request_not_found"
    detail = "Không tìm thấy yêu cầu ký."


class SignRequestClosed(Conflict):
    code = "sign_request_closed"
    detail = "Yêu cầu ký đã hết hạn hoặc đã được xử lý trước đó."


class CitizenNotFound(NotFound):
    code = "citizen_not_found"
    detail = "Không tìm thấy thuê bao."
