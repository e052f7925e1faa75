"""The signing service's API errors (problem+json, Vietnamese detail), as in the other services.

Two keep `AppError` as their base: the shared 401 and 503 add headers (WWW-Authenticate,
Retry-After) that a CA's refused callback and a provider outage do not answer with.
"""

from __future__ import annotations

from hoso_common.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable


class CallbackRefused(AppError):
    status, code, title = 401, "invalid_callback_signature", "Unauthorized callback"
    detail = "Thông báo từ nhà cung cấp chữ ký số không xác thực được."


class ProviderUnavailable(AppError):
    status, code, title = 503, "provider_unavailable", "Provider unavailable"
    detail = "Nhà cung cấp chữ ký số tạm thời không phản hồi. Vui lòng thử lại sau."


class UnknownProvider(NotFound):
    code, title = "unknown_provider", "Unknown provider"
    detail = "Nhà cung cấp chữ ký số không được hỗ trợ."


class OtpNotExpected(Conflict):
    code, title = "otp_not_expected", "No OTP expected"
    detail = "Yêu cầu ký số này không chờ mã OTP."


class OtpInvalid(Unprocessable):
    code, title = "otp_invalid", "Wrong OTP"
    detail = "Mã OTP không đúng."


class UnreadableFile(Unprocessable):
    code, title = "unreadable_file", "Unreadable file"
    detail = "Không đọc được tệp để kiểm tra chữ ký số."


class BucketNotAllowed(Forbidden):
    code, title = "bucket_not_allowed", "Bucket not allowed"
    detail = "Không được phép kiểm tra tệp trong kho lưu trữ này."


class ReferenceRefused(Forbidden):
    code, title = "reference_not_allowed", "Reference not allowed"
    detail = (
        "Chỉ kiểm tra được tệp đã lưu khi dịch vụ giữ tệp cấp quyền cho chính người gọi; "
        "quyền này không hợp lệ hoặc đã hết hạn."
    )
