"""RFC 9457 problem+json errors with a stable machine-readable code."""

from __future__ import annotations

import logging
import sys
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5
logger = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error the API reports; subclasses set status, code and a Vietnamese detail."""

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"
    detail: str = "Hệ thống đang gặp sự cố. Vui lòng thử lại sau."
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail or self.detail)
        if detail is not None:
            self.detail = detail
        self.extra = extra or {}


class BadRequest(AppError):
    status, code, title = 400, "bad_request", "Bad request"
    detail = "Yêu cầu không hợp lệ."


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Unauthorized"
    detail = "Bạn cần đăng nhập để tiếp tục."
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"
    detail = "Bạn không có quyền thực hiện thao tác này."


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"
    detail = "Không tìm thấy dữ liệu yêu cầu."


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"
    detail = "Thao tác xung đột với trạng thái hiện tại."


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Payload too large"
    detail = "Tệp vượt quá dung lượng cho phép."


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"
    detail = "Định dạng tệp không được hỗ trợ hoặc không khớp với nội dung tệp."


class Unprocessable(AppError):
    status, code, title = 422, "validation_failed", "Validation failed"
    detail = "Dữ liệu chưa hợp lệ. Vui lòng kiểm tra lại các trường được đánh dấu."


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service unavailable"
    detail = "Dịch vụ tạm thời không khả dụng. Vui lòng thử lại sau."
    # Outages the platform rides out last seconds; clients wait this long before retrying.
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": str(RETRY_AFTER_S)}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://hoso.gov.vn/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_CODES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Bạn cần đăng nhập để tiếp tục."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy dữ liệu yêu cầu."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    413: ("payload_too_large", "Tệp vượt quá dung lượng cho phép."),
    415: ("unsupported_media_type", "Định dạng nội dung không được hỗ trợ."),
}

_PYDANTIC_MESSAGES = {
    "missing": "Trường này là bắt buộc.",
    "extra_forbidden": "Trường này không được phép.",
    "string_too_long": "Giá trị quá dài.",
    "string_too_short": "Giá trị quá ngắn.",
    "string_pattern_mismatch": "Giá trị không đúng định dạng.",
    "int_parsing": "Giá trị phải là số nguyên.",
    "bool_parsing": "Giá trị phải là đúng/sai.",
    "literal_error": "Giá trị không nằm trong danh sách cho phép.",
    "enum": "Giá trị không nằm trong danh sách cho phép.",
}


def _json_pointer(loc: tuple[Any, ...]) -> str:
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in {"body", "query", "path"}
        else [str(p) for p in loc]
    )
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem(
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            request.url.path,
            exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "pointer": _json_pointer(tuple(err.get("loc", ()))),
                "in": str(err.get("loc", ("body",))[0]),
                "code": err.get("type", "invalid"),
                "message": _PYDANTIC_MESSAGES.get(err.get("type", ""), "Giá trị không hợp lệ."),
            }
            for err in exc.errors()
        ]
        return problem(
            422,
            Unprocessable.code,
            Unprocessable.title,
            Unprocessable.detail,
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, detail = _HTTP_CODES.get(exc.status_code, ("http_error", "Yêu cầu không thành công."))
        return problem(
            exc.status_code,
            code,
            str(exc.detail),
            detail,
            request.url.path,
            dict(exc.headers) if exc.headers else None,
        )

    app.add_middleware(UnhandledErrorMiddleware)


class UnhandledErrorMiddleware:
    """Answers an unexpected exception with a 500 problem and keeps the connection usable.

    Starlette's own handler for `Exception` re-raises after answering, and uvicorn then closes
    the connection under the gateway's keep-alive pool: the gateway's next request on it got
    a 502. Here the exception ends with the answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise  # half an answer is out: only closing the connection can end it
            await _answer_unexpected(scope, receive, send)


async def _answer_unexpected(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to the exception being handled: 503 for an outage of a dependency, else 500."""
    from hoso_common.faults import is_transient  # faults builds on this module

    path = str(scope.get("path", ""))
    error = sys.exc_info()[1]
    if error is not None and is_transient(error):
        logger.warning("dependency unavailable on %s %s: %r", scope.get("method"), path, error)
        unavailable = ServiceUnavailable()
        response = problem(
            unavailable.status,
            unavailable.code,
            unavailable.title,
            unavailable.detail,
            path,
            unavailable.headers,
        )
    else:
        logger.exception("unhandled error on %s %s", scope.get("method"), path)
        response = problem(500, AppError.code, AppError.title, AppError.detail, path)
    await response(scope, receive, send)
