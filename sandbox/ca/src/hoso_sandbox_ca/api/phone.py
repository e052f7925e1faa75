"""The citizen's phone: list pending sign requests, approve or reject them (JSON and HTML).

It stands in for the citizen's own CA app, so every call needs the citizen's login. The JSON
API takes an IdP bearer token whose `citizen_id` is the signer's. The HTML page logs the
person in at the IdP (authorization code + PKCE, see phone_login) and keeps only a session
id in an HttpOnly, SameSite=Lax cookie; the session's access token is verified on every use.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hoso_common.auth import Principal, TokenVerifier
from hoso_common.errors import Forbidden, Unauthorized
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
from hoso_sandbox_ca.phone_login import PhoneLogin, PhoneLoginFailed

router = APIRouter(prefix="/phone", tags=["phone"])

PROVIDER_NAMES = {entry.id: entry.display_name for entry in PROVIDERS}
NOTICES = {
    "approved": "Đã ký số thành công.",
    "rejected": "Đã từ chối yêu cầu ký.",
    "closed": "Yêu cầu ký đã hết hạn hoặc đã được xử lý trước đó.",
    "not_found": "Không tìm thấy yêu cầu ký.",
}
LOGIN_FAILURES = {
    "stale": "Phiên đăng nhập đã hết hạn hoặc không khớp với trình duyệt này.",
    "cancelled": "Bạn đã hủy đăng nhập.",
    "failed": "Đăng nhập không thành công.",
    "idp_down": "Không kết nối được dịch vụ đăng nhập. Vui lòng thử lại sau ít phút.",
}
StatusFilter = Literal["pending", "signed", "rejected", "expired", "all"]
SESSION_COOKIE = "hoso_phone_session"
LOGIN_COOKIE = "hoso_phone_login"
_bearer = HTTPBearer(auto_error=False)


def is_signer(principal: Principal) -> bool:
    """A person with a personal id (citizen_id): a citizen, or an officer signing results."""
    return (principal.has("citizen") or principal.has("officer")) and bool(principal.citizen_id)


def _citizen_only(principal: Principal) -> Principal:
    if not is_signer(principal):
        raise Forbidden("Chỉ người ký đã đăng nhập mới xác nhận được yêu cầu ký của mình.")
    return principal


def _login(request: Request) -> PhoneLogin:
    login: PhoneLogin = request.app.state.phone_login
    return login


async def page_citizen(request: Request) -> Principal | None:
    """The page session's principal (any role), or None when the page should log in."""
    return await _login(request).citizen(request.cookies.get(SESSION_COOKIE))


async def phone_citizen(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The citizen holding the phone: bearer token, or the page's session; None if neither."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        verifier: TokenVerifier = request.app.state.token_verifier
        return _citizen_only(await verifier.verify(credentials.credentials))
    principal = await page_citizen(request)
    return _citizen_only(principal) if principal is not None else None


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    # No Path: the browser scopes it to this URL's folder, /phone or /ca/phone behind the
    # gateway, so the cookie goes to the phone pages only.
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=None,
    )


def _required(citizen: Principal | None) -> Principal:
    if citizen is None:
        raise Unauthorized("Vui lòng đăng nhập bằng tài khoản công dân để xác nhận yêu cầu ký.")
    return citizen


PhoneCitizen = Annotated[Principal | None, Depends(phone_citizen)]


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
    if user_id != _required(citizen).citizen_id:
        raise Forbidden("Chỉ xem được yêu cầu ký của chính mình.")
    return [request_public(t) for t in _requests_of(ca, user_id, status)]


def _owned(ca: SandboxCa, transaction_id: str, citizen: Principal) -> None:
    # Another citizen's request answers as if it did not exist: ids are not to be probed.
    transaction = ca.ledger.get(transaction_id)
    if transaction is None or transaction.user_id != citizen.citizen_id:
        raise UnknownTransaction(transaction_id)


async def _decide(
    request: Request, ca: SandboxCa, transaction_id: str, approve: bool, citizen: Principal | None
) -> DecisionPublic | Response:
    from_page = request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    )
    if citizen is None and from_page:
        # The page's session ran out between showing the request and the tap: log in again.
        return RedirectResponse("../../../phone", status_code=303)
    citizen = _required(citizen)
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


@router.get("/login", response_class=RedirectResponse, status_code=303)
async def login(request: Request) -> Response:
    """Send the browser to the IdP's login form (authorization code + PKCE S256)."""
    login_id, url = _login(request).start()
    response = RedirectResponse(url, status_code=303)
    _cookie(request, response, LOGIN_COOKIE, login_id, 600)
    return response


@router.get("/callback", response_class=HTMLResponse)
async def callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """The IdP returns here: verify the tokens, open the page's session."""
    try:
        session_id = await _login(request).finish(request.cookies.get(LOGIN_COOKIE), state, code)
    except PhoneLoginFailed as failed:
        response: Response = HTMLResponse(
            render_login_failed(LOGIN_FAILURES[failed.reason]), status_code=400
        )
        response.delete_cookie(LOGIN_COOKIE, path=None)  # type: ignore[arg-type]
        return response
    response = RedirectResponse("../phone", status_code=303)
    _cookie(request, response, SESSION_COOKIE, session_id, 36000)
    response.delete_cookie(LOGIN_COOKIE, path=None)  # type: ignore[arg-type]
    return response


@router.post("/logout", response_class=RedirectResponse, status_code=303)
async def logout(request: Request) -> Response:
    """End the page's session here, then at the IdP, which sends the browser back here."""
    target = _login(request).end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=None)  # type: ignore[arg-type]
    return response


@router.get("", response_class=HTMLResponse)
async def phone_page(
    request: Request,
    ca: CaDep,
    notice: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """A minimal phone app page (Vietnamese): approve or reject the citizen's pending requests.

    Without a session the browser goes to the IdP's login; while the single sign-on session
    lasts, it comes straight back logged in.
    """
    principal = await page_citizen(request)
    if principal is None:
        return RedirectResponse("phone/login", status_code=303)
    if not is_signer(principal) or not principal.citizen_id:
        return HTMLResponse(render_not_citizen(principal), status_code=403)
    pending = _requests_of(ca, principal.citizen_id, "pending")
    return HTMLResponse(render_phone_page(principal, pending, NOTICES.get(notice)))


_HEAD = (
    "<!doctype html><html lang=vi><meta charset=utf-8>"
    '<meta name=viewport content="width=device-width, initial-scale=1">'
    "<title>Ứng dụng ký số từ xa (sandbox)</title>"
    "<style>body{font-family:sans-serif;max-width:40rem;margin:0 auto;padding:.5rem 1rem;"
    "line-height:1.4}h1{font-size:1.4rem}h2{font-size:1.15rem}"
    ".notice{background:#eef7ee;border-left:4px solid #2e7d32;padding:.6rem}"
    "[role=alert].notice{background:#fdecea;border-color:#c62828}"
    ".who{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between}"
    "ul.requests{list-style:none;padding:0}li.request{border:1px solid #bbb;border-radius:.5rem;"
    "padding:.75rem;margin:0 0 1rem}li.request h3{margin:0 0 .5rem;font-size:1.1rem}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:0 0 .75rem}"
    "dt{color:#555}dd{margin:0;overflow-wrap:anywhere}.code{font-size:1.2rem;"
    "letter-spacing:.1em}.actions{display:flex;gap:.75rem}.actions form{flex:1}"
    "button,a.button{font:inherit;padding:.6rem 1rem;border-radius:.4rem;border:1px solid #666;"
    "background:#f4f4f4;color:#000;text-decoration:none;display:inline-block}"
    ".actions button{width:100%;min-height:3rem}button.approve{background:#1b5e20;color:#fff;"
    "border-color:#1b5e20}button.reject{background:#fff;color:#b71c1c;border-color:#b71c1c}"
    "strong.otp{font-size:1.3rem;letter-spacing:.15em}</style>"
    "<h1>Ứng dụng ký số từ xa</h1>"
    "<p>Môi trường thử nghiệm (sandbox) của "
    + ", ".join(html.escape(entry.display_name) for entry in PROVIDERS)
    + ".</p>"
)
# Vietnam keeps UTC+7 all year: no daylight saving to look up.
VIETNAM = timezone(timedelta(hours=7))


def local_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, VIETNAM).strftime("%H:%M, %d/%m/%Y")


def _notice(notice: str | None) -> str:
    return f"<p class=notice role=status id=notice>{html.escape(notice)}</p>" if notice else ""


def _logout_button(label: str = "Đăng xuất") -> str:
    return (
        '<form class=inline method=post action="phone/logout">'
        f"<button type=submit>{label}</button></form>"
    )


def render_login_failed(reason: str) -> str:
    # Served at phone/callback, so links climb one folder back to the page.
    return "".join(
        [
            _HEAD,
            f"<p class=notice role=alert id=notice>{html.escape(reason)}</p>",
            '<p><a class=button href="../phone">Đăng nhập lại</a></p></html>',
        ]
    )


def render_not_citizen(principal: Principal) -> str:
    who = html.escape(principal.name or principal.sub)
    return "".join(
        [
            _HEAD,
            f"<p class=notice role=alert id=notice>Tài khoản {who} không phải tài khoản công "
            "dân hay cán bộ có số định danh cá nhân. Chỉ người có chứng thư số tại đây mới "
            "xác nhận được yêu cầu ký của mình.</p>",
            f"<p>{_logout_button('Đăng xuất để đăng nhập bằng tài khoản khác')}</p></html>",
        ]
    )


def render_phone_page(
    citizen: Principal, pending: list[SignTransaction], notice: str | None
) -> str:
    who = html.escape(citizen.name or citizen.citizen_id or "")
    parts = [
        _HEAD.replace("<title>", '<meta http-equiv=refresh content="5"><title>', 1),
        _notice(notice),
        f"<div class=who><p>Đã đăng nhập: {who}<br>CCCD {html.escape(citizen.citizen_id or '')}"
        f"</p>{_logout_button()}</div>",
        "<h2>Yêu cầu ký đang chờ xác nhận</h2>",
    ]
    if not pending:
        parts.append("<p id=empty>Không có yêu cầu ký nào đang chờ xác nhận.</p>")
    else:
        parts.append(
            "<p>Kiểm tra mã xác nhận trùng với mã trên cổng dịch vụ công trước khi đồng ý.</p>"
            "<ul id=requests class=requests>"
        )
        for transaction in pending:
            tid = html.escape(transaction.id)
            parts.append(
                f'<li class=request data-transaction-id="{tid}">'
                f"<h3>{html.escape(transaction.document_name or '(không có tên)')}</h3><dl>"
                f"<dt>Mã xác nhận</dt><dd><strong class=code>"
                f"{html.escape(transaction.tran_code)}</strong></dd>"
                f"<dt>Đơn vị ký số</dt>"
                f"<dd>{html.escape(PROVIDER_NAMES.get(transaction.provider.value, ''))}</dd>"
                f"<dt>Hết hạn lúc</dt><dd>{local_time(transaction.expires_at)}</dd>"
                f"<dt>Mã tài liệu</dt>"
                f"<dd><small>{html.escape(', '.join(d.doc_id for d in transaction.digests))}"
                "</small></dd></dl><div class=actions>"
                f'<form method=post action="phone/requests/{tid}/approve">'
                "<button type=submit class=approve>Đồng ý ký</button></form>"
                f'<form method=post action="phone/requests/{tid}/reject">'
                "<button type=submit class=reject>Từ chối</button></form></div></li>"
            )
        parts.append("</ul>")
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
