"""Errors of the portal; each one becomes a page in Vietnamese, never raw JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hoso_portal import words


class PortalError(Exception):
    """Base of the errors that end a request with an error page."""

    status: int = 500
    title: str = "Đã có lỗi xảy ra"
    detail: str = words.ERR_GENERIC

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        if detail is not None:
            self.detail = detail


class ServiceDown(PortalError):
    status, title, detail = 503, "Dịch vụ tạm thời gián đoạn", words.ERR_SERVICE_DOWN


class PageNotFound(PortalError):
    status, title, detail = 404, "Không tìm thấy trang", words.ERR_NOT_FOUND


class NotAllowed(PortalError):
    status, title, detail = 403, "Không có quyền truy cập", words.ERR_FORBIDDEN


class CsrfRefused(PortalError):
    status, title, detail = 403, "Biểu mẫu không hợp lệ", words.ERR_FORGED


class LoginFailed(PortalError):
    status, title, detail = 400, "Đăng nhập không thành công", words.ERR_LOGIN_FAILED


class LoginRequired(Exception):
    """The session is missing or over; the user logs in and comes back to `next_url`."""

    def __init__(self, next_url: str = "/") -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class FieldError:
    """One problem+json `errors[]` entry: where (JSON pointer) and what, in Vietnamese."""

    pointer: str
    message: str


@dataclass
class ApiProblem(Exception):
    """A service answered with problem+json: its status, code and Vietnamese detail."""

    status: int
    code: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"
