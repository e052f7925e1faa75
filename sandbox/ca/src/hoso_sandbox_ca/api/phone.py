"""The citizen's phone: list pending sign requests, approve or reject them (JSON and HTML).

It stands in for the citizen's own CA app, so every call needs the citizen's login: an IdP
bearer token whose `citizen_id` is the signer's. The HTML page keeps the token in an HttpOnly,
SameSite=Strict cookie after the citizen presents it once.
"""

from __future__ import annotations

import html
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hoso_common.auth import Principal, TokenVerifier
from hoso_common.errors import AppError, Forbidden, Unauthorized
from hoso_common.providers import PROVIDERS
from hoso_sandbox_ca.api.deps import CaDep
from hoso_sandbox_ca.api.problems import SignRequestClosed, SignRequestNotFound
from hoso_sandbox_ca.api.schemas import DecisionPublic, SignRequestPublic
from hoso_sandbox_ca.approvals import UnknownTransaction
from hoso_sandbox_ca.ca import SandboxCa
from hoso_sandbox_ca.domain.transactions import (
    SignTransaction,
    TransactionClosed,
    iso_time,
)

router = APIRouter(prefix="/phone", tags=["phone"])

PROVIDER_NAMES = {entry.id: entry.display_name for entry in PROVIDERS}
NOTICES = {
    "approved": "Đã ký số thành công.",
    "rejected": "Đã từ chối yêu cầu ký.",
    "closed": "Yêu cầu ký đã hết hạn hoặc đã được xử lý trước đó.",
    "not_found": "Không tìm thấy yêu cầu ký.",
    "login_failed": "Mã truy cập không hợp lệ hoặc đã hết hạn, hoặc không phải của công dân.",
}
StatusFilter = Literal["pending", "signed", "rejected", "expired", "all"]
SESSION_COOKIE = "hoso_phone_token"
_bearer = HTTPBearer(auto_error=False)


async def _verified(request: Request, token: str) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(token)
    if not principal.has("citizen") or not principal.citizen_id:
        raise Forbidden("Chỉ công dân đã đăng nhập mới xác nhận được yêu cầu ký của mình.")
    return principal


async def phone_citizen(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The citizen holding the phone: bearer token, or the page's session cookie."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return await _verified(request, credentials.credentials)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await _verified(request, cookie)
    raise Unauthorized("Vui lòng đăng nhập bằng tài khoản công dân để xác nhận yêu cầu ký.")


async def page_citizen(request: Request) -> Principal | None:
    """The page's citizen, or None when the page should ask for a login."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return await _verified(request, cookie)
    except AppError:
        return None


PhoneCitizen = Annotated[Principal, Depends(phone_citizen)]


def request_public(transaction: SignTransaction) -> SignRequestPublic:
    return SignRequestPublic(
        transaction_id=transaction.id,
        provider=transaction.provider.value,
        doc_id=transaction.doc_id,
        doc_ids=[item.doc_id for item in transaction.digests],
        document_name=transaction.document_name,
        tran_code=transaction.tran_code,
        created_at=iso_time(transaction.created_at),
        expires_at=iso_time(transaction.expires_at),
        status=transaction.status.value,
    )


def _requests_of(ca: SandboxCa, user_id: str, status: StatusFilter) -> list[SignTransaction]:
    ca.desk.expire_overdue()
    found = ca.ledger.for_user(user_id, pending_only=status == "pending")
    if status not in ("pending", "all"):
        found = [t for t in found if t.status.value == status]
    return found


@router.get("/{user_id}/requests")
async def list_requests(
    user_id: str,
    ca: CaDep,
    citizen: PhoneCitizen,
    status: Annotated[StatusFilter, Query()] = "pending",
) -> list[SignRequestPublic]:
    """The citizen's own sign requests, newest first (pending unless `status` says otherwise)."""
    if user_id != citizen.citizen_id:
        raise Forbidden("Chỉ xem được yêu cầu ký của chính mình.")
    return [request_public(t) for t in _requests_of(ca, user_id, status)]


def _owned(ca: SandboxCa, transaction_id: str, citizen: Principal) -> None:
    # Another citizen's request answers as if it did not exist: ids are not to be probed.
    transaction = ca.ledger.get(transaction_id)
    if transaction is None or transaction.user_id != citizen.citizen_id:
        raise UnknownTransaction(transaction_id)


async def _decide(
    request: Request, ca: SandboxCa, transaction_id: str, approve: bool, citizen: Principal
) -> DecisionPublic | Response:
    from_page = request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    )
    notice = "approved" if approve else "rejected"
    transaction: SignTransaction | None = None
    try:
        _owned(ca, transaction_id, citizen)
        transaction = ca.desk.approve(transaction_id) if approve else ca.desk.reject(transaction_id)
    except UnknownTransaction:
        if not from_page:
            raise SignRequestNotFound() from None
        notice = "not_found"
    except TransactionClosed as closed:
        if not from_page:
            raise SignRequestClosed(extra={"request_status": closed.status.value}) from None
        notice = "closed"
    if from_page:
        query = urlencode({"notice": notice})
        # Relative, so the page works both at /phone and behind the gateway at /ca/phone.
        return RedirectResponse(f"../../../phone?{query}", status_code=303)
    assert transaction is not None
    return DecisionPublic(transaction_id=transaction.id, status=transaction.status.value)


@router.post("/requests/{transaction_id}/approve", response_model=DecisionPublic)
async def approve(
    transaction_id: str, request: Request, ca: CaDep, citizen: PhoneCitizen
) -> DecisionPublic | Response:
    """Approve: the CA signs the digests with the citizen's key (409 once expired or finished)."""
    return await _decide(request, ca, transaction_id, True, citizen)


@router.post("/requests/{transaction_id}/reject", response_model=DecisionPublic)
async def reject(
    transaction_id: str, request: Request, ca: CaDep, citizen: PhoneCitizen
) -> DecisionPublic | Response:
    """Reject the sign request (409 once expired or finished)."""
    return await _decide(request, ca, transaction_id, False, citizen)


@router.post("/session", response_class=RedirectResponse, status_code=303)
async def open_session(
    request: Request, access_token: Annotated[str, Form(max_length=8192)]
) -> Response:
    """Log the page in with the citizen's IdP access token (kept in an HttpOnly cookie)."""
    try:
        await _verified(request, access_token.strip())
    except AppError:
        return RedirectResponse("../phone?notice=login_failed", status_code=303)
    response = RedirectResponse("../phone", status_code=303)
    # No Path: the browser scopes it to this URL's folder, /phone or /ca/phone behind the
    # gateway, so the token goes to the phone pages only.
    response.set_cookie(
        SESSION_COOKIE,
        access_token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=None,
    )
    return response


@router.post("/logout", response_class=RedirectResponse, status_code=303)
async def close_session() -> Response:
    """Log the page out."""
    response = RedirectResponse("../phone", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=None)  # type: ignore[arg-type]
    return response


@router.get("", response_class=HTMLResponse)
async def phone_page(
    request: Request,
    ca: CaDep,
    notice: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    """A minimal phone app page (Vietnamese): log in, then approve or reject pending requests."""
    citizen = await page_citizen(request)
    if citizen is None:
        return HTMLResponse(render_login_page(NOTICES.get(notice)))
    user_id = citizen.citizen_id or ""
    pending = _requests_of(ca, user_id, "pending")
    return HTMLResponse(render_phone_page(citizen, pending, NOTICES.get(notice)))


_HEAD = (
    "<!doctype html><html lang=vi><meta charset=utf-8>"
    '<meta name=viewport content="width=device-width, initial-scale=1">'
    "<title>Ứng dụng ký số từ xa (sandbox)</title>"
    "<style>body{font-family:sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;"
    "text-align:left}.notice{background:#eef7ee;padding:.5rem}form.inline{display:inline}"
    "textarea{width:100%}</style>"
    "<h1>Ứng dụng ký số từ xa</h1>"
    "<p>Môi trường thử nghiệm (sandbox) của "
    + ", ".join(html.escape(entry.display_name) for entry in PROVIDERS)
    + ".</p>"
)


def _notice(notice: str | None) -> str:
    return f"<p class=notice role=status id=notice>{html.escape(notice)}</p>" if notice else ""


def render_login_page(notice: str | None) -> str:
    return "".join(
        [
            _HEAD,
            _notice(notice),
            "<h2>Đăng nhập</h2>",
            "<p>Dán mã truy cập (access token) mà cổng đăng nhập cấp cho tài khoản công dân "
            "của bạn. Chỉ yêu cầu ký của chính bạn mới hiện ra.</p>",
            '<form method=post action="phone/session">',
            "<label for=access_token>Mã truy cập</label>",
            "<textarea id=access_token name=access_token rows=6 required></textarea>",
            "<p><button type=submit>Đăng nhập</button></p></form></html>",
        ]
    )


def render_phone_page(
    citizen: Principal, pending: list[SignTransaction], notice: str | None
) -> str:
    who = html.escape(citizen.name or citizen.citizen_id or "")
    parts = [
        _HEAD.replace("<title>", '<meta http-equiv=refresh content="5"><title>', 1),
        _notice(notice),
        f"<p>Đã đăng nhập: {who} (CCCD {html.escape(citizen.citizen_id or '')}) "
        '<form class=inline method=post action="phone/logout">'
        "<button type=submit>Đăng xuất</button></form></p>",
        "<h2>Yêu cầu ký đang chờ xác nhận</h2>",
    ]
    if not pending:
        parts.append("<p id=empty>Không có yêu cầu ký nào đang chờ xác nhận.</p>")
    else:
        parts.append(
            "<table id=requests><tr><th>Mã xác nhận</th><th>Đơn vị ký số</th>"
            "<th>Mã tài liệu</th><th>Tên tài liệu</th><th>Hết hạn lúc</th><th></th></tr>"
        )
        for transaction in pending:
            tid = html.escape(transaction.id)
            parts.append(
                f'<tr data-transaction-id="{tid}">'
                f"<td>{html.escape(transaction.tran_code)}</td>"
                f"<td>{html.escape(PROVIDER_NAMES.get(transaction.provider.value, ''))}</td>"
                f"<td>{html.escape(', '.join(d.doc_id for d in transaction.digests))}</td>"
                f"<td>{html.escape(transaction.document_name or '(không có tên)')}</td>"
                f"<td>{iso_time(transaction.expires_at)}</td><td>"
                f'<form class=inline method=post action="phone/requests/{tid}/approve">'
                "<button type=submit>Đồng ý ký</button></form> "
                f'<form class=inline method=post action="phone/requests/{tid}/reject">'
                "<button type=submit>Từ chối</button></form></td></tr>"
            )
        parts.append("</table>")
        parts.append(render_otp_messages(pending))
    parts.append("</html>")
    return "".join(parts)


def render_otp_messages(pending: list[SignTransaction]) -> str:
    """The one-time codes the CA would send by SMS or e-mail, shown here instead."""
    with_otp = [t for t in pending if t.otp is not None]
    if not with_otp:
        return ""
    items = "".join(
        f'<li data-transaction-id="{html.escape(t.id)}">Mã xác nhận '
        f"{html.escape(t.tran_code)}: mã OTP <strong class=otp>{html.escape(t.otp or '')}"
        f"</strong> (còn {t.otp_attempts_left} lần nhập)</li>"
        for t in with_otp
    )
    return (
        "<h2>Tin nhắn OTP (giả lập SMS)</h2>"
        "<p>Nhập mã OTP này trên cổng dịch vụ công để xác nhận ký.</p>"
        f"<ul id=otp-messages>{items}</ul>"
    )
