"""The citizen's phone: list pending sign requests, approve or reject them (JSON and HTML)."""

from __future__ import annotations

import html
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
}
StatusFilter = Literal["pending", "signed", "rejected", "expired", "all"]


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
    user_id: str, ca: CaDep, status: Annotated[StatusFilter, Query()] = "pending"
) -> list[SignRequestPublic]:
    """The citizen's sign requests, newest first (pending ones unless `status` says otherwise)."""
    return [request_public(t) for t in _requests_of(ca, user_id, status)]


async def _decide(
    request: Request, ca: SandboxCa, transaction_id: str, approve: bool
) -> DecisionPublic | Response:
    from_page = request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    )
    notice = "approved" if approve else "rejected"
    transaction: SignTransaction | None = None
    try:
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
        form = await request.form()
        query = urlencode({"user_id": str(form.get("user_id", "")), "notice": notice})
        # Relative, so the page works both at /phone and behind the gateway at /ca/phone.
        return RedirectResponse(f"../../../phone?{query}", status_code=303)
    assert transaction is not None
    return DecisionPublic(transaction_id=transaction.id, status=transaction.status.value)


@router.post("/requests/{transaction_id}/approve", response_model=DecisionPublic)
async def approve(transaction_id: str, request: Request, ca: CaDep) -> DecisionPublic | Response:
    """Approve: the CA signs the digests with the citizen's key (409 once expired or finished)."""
    return await _decide(request, ca, transaction_id, approve=True)


@router.post("/requests/{transaction_id}/reject", response_model=DecisionPublic)
async def reject(transaction_id: str, request: Request, ca: CaDep) -> DecisionPublic | Response:
    """Reject the sign request (409 once expired or finished)."""
    return await _decide(request, ca, transaction_id, approve=False)


@router.get("", response_class=HTMLResponse)
async def phone_page(
    ca: CaDep,
    user_id: Annotated[str, Query(max_length=32)] = "",
    notice: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    """A minimal phone app page (Vietnamese) to approve or reject pending requests."""
    user_id = user_id.strip()
    pending = _requests_of(ca, user_id, "pending") if user_id else []
    return HTMLResponse(render_phone_page(user_id, pending, NOTICES.get(notice)))


def render_phone_page(user_id: str, pending: list[SignTransaction], notice: str | None) -> str:
    safe_user = html.escape(user_id)
    parts = [
        "<!doctype html><html lang=vi><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width, initial-scale=1">',
        '<meta http-equiv=refresh content="5">' if user_id else "",
        "<title>Ứng dụng ký số từ xa (sandbox)</title>",
        "<style>body{font-family:sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;"
        "text-align:left}.notice{background:#eef7ee;padding:.5rem}form.inline{display:inline}"
        "</style>",
        "<h1>Ứng dụng ký số từ xa</h1>",
        "<p>Môi trường thử nghiệm (sandbox) của "
        + ", ".join(html.escape(entry.display_name) for entry in PROVIDERS)
        + ".</p>",
        '<form method=get action="phone">',
        '<label>Số định danh cá nhân (CCCD): <input name=user_id pattern="\\d{12}" ',
        f'required value="{safe_user}"></label> <button type=submit>Xem yêu cầu</button></form>',
    ]
    if notice:
        parts.append(f"<p class=notice role=status id=notice>{html.escape(notice)}</p>")
    if user_id:
        parts.append(f"<h2>Yêu cầu ký đang chờ xác nhận của {safe_user}</h2>")
        if not pending:
            parts.append("<p id=empty>Không có yêu cầu ký nào đang chờ xác nhận.</p>")
        else:
            parts.append(
                "<table id=requests><tr><th>Mã xác nhận</th><th>Đơn vị ký số</th>"
                "<th>Mã tài liệu</th><th>Tên tài liệu</th><th>Hết hạn lúc</th><th></th></tr>"
            )
            for transaction in pending:
                tid = html.escape(transaction.id)
                hidden = f'<input type=hidden name=user_id value="{safe_user}">'
                parts.append(
                    f'<tr data-transaction-id="{tid}">'
                    f"<td>{html.escape(transaction.tran_code)}</td>"
                    f"<td>{html.escape(PROVIDER_NAMES.get(transaction.provider.value, ''))}</td>"
                    f"<td>{html.escape(', '.join(d.doc_id for d in transaction.digests))}</td>"
                    f"<td>{html.escape(transaction.document_name or '(không có tên)')}</td>"
                    f"<td>{iso_time(transaction.expires_at)}</td><td>"
                    f'<form class=inline method=post action="phone/requests/{tid}/approve">'
                    f"{hidden}<button type=submit>Đồng ý ký</button></form> "
                    f'<form class=inline method=post action="phone/requests/{tid}/reject">'
                    f"{hidden}<button type=submit>Từ chối</button></form></td></tr>"
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
