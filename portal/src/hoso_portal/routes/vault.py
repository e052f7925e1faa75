"""Flow 1 pages: the vault list, upload and "Ký số", the pending notice, "Lưu", download, checks."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from hoso_portal import words
from hoso_portal.deps import FormSessionDep, PortalDep, SessionDep, UserSession
from hoso_portal.errors import ApiProblem, PageNotFound
from hoso_portal.pages import render, see_other
from hoso_portal.signing_notice import NoticeLinks, answer_otp, notice_context, show
from hoso_portal.upload import checked_upload

router = APIRouter()

VAULT = "/ho-so-dien-tu"
ACCEPTED_TYPES = ".pdf,.docx,.xlsx,.jpg,.jpeg,.png,.xml"
ACCEPTED_LABEL = "PDF, DOCX, XLSX, JPG, PNG, XML"
# Room for the multipart framing and text fields around the file itself.
FORM_OVERHEAD_BYTES = 256 * 1024
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

FIELD_OF_POINTER = {"/name": "name", "/file": "file", "/provider": "provider"}


def document_id(document_id: str) -> str:
    """Path ids go into service URLs, so only plain ids pass."""
    if not _ID.match(document_id):
        raise PageNotFound()
    return document_id


DocumentId = Annotated[str, Depends(document_id)]


def _signature_of(document: dict[str, Any]) -> dict[str, Any] | None:
    for version in reversed(document.get("versions") or []):
        if version.get("signature"):
            signature: dict[str, Any] = version["signature"]
            return signature
    return None


def _row(document: dict[str, Any]) -> dict[str, Any]:
    signature = _signature_of(document)
    return {
        "id": document["id"],
        "name": document["name"],
        "created_at": document.get("created_at"),
        "status": words.STATUS.get(str(document.get("status")), str(document.get("status"))),
        "status_code": document.get("status"),
        "saved": bool(document.get("saved")),
        "signer": (signature or {}).get("signer_name"),
        "signed_at": (signature or {}).get("signed_at"),
    }


@router.get(VAULT)
async def vault_list(
    request: Request,
    session: SessionDep,
    portal: PortalDep,
    trang: Annotated[int, Query(ge=1, le=100000)] = 1,
    luu: str | None = None,
) -> Response:
    """ "Hồ sơ điện tử": the citizen's documents, newest first, one page at a time."""
    size = portal.settings.page_size
    page = await portal.documents.list_page(session.token, page=trang, size=size)
    total = int(page.get("total", 0))
    saved_name = None
    if luu and _ID.match(luu):
        saved = [d for d in page["items"] if d["id"] == luu]
        saved_name = saved[0]["name"] if saved else ""
    return render(
        request,
        "vault_list.html",
        {
            "rows": [_row(d) for d in page.get("items", [])],
            "page": trang,
            "pages": max(1, math.ceil(total / size)),
            "total": total,
            "saved_name": saved_name,
        },
    )


async def _providers(portal: PortalDep, session: UserSession) -> list[dict[str, Any]]:
    return await portal.signing.providers(session.token)


def _upload_context(
    providers: list[dict[str, Any]], portal: PortalDep, **extra: Any
) -> dict[str, Any]:
    return {
        "providers": providers,
        "accept": ACCEPTED_TYPES,
        "accepted_label": ACCEPTED_LABEL,
        "max_bytes": portal.settings.max_upload_bytes,
        "values": {},
        "errors": {},
        **extra,
    }


@router.get(VAULT + "/tai-len")
async def upload_form(request: Request, session: SessionDep, portal: PortalDep) -> Response:
    """ "+ Tải tài liệu mới": name, file, provider, "Ký số"."""
    providers = await _providers(portal, session)
    return render(request, "vault_upload.html", _upload_context(providers, portal))


def _field_errors(problem: ApiProblem) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in problem.errors:
        field = FIELD_OF_POINTER.get(error.pointer)
        if field == "name":
            errors["name"] = words.ERR_NAME_REQUIRED
        elif field == "provider":
            errors["provider"] = words.ERR_PROVIDER_REQUIRED
        elif field:
            errors[field] = error.message
    if not errors:
        field = "file" if problem.status in {400, 413, 415} else "name"
        errors[field] = problem.detail
    return errors


@router.post(VAULT + "/tai-len")
async def upload(request: Request, session: SessionDep, portal: PortalDep) -> Response:
    """Stream the form on to the vault with sign=true, then show the pending notice."""
    length = request.headers.get("content-length", "")
    too_large = length.isdigit() and int(length) > (
        portal.settings.max_upload_bytes + FORM_OVERHEAD_BYTES
    )
    upload = await checked_upload(request, session.data.csrf, portal.settings.upload_timeout_s)
    providers = await _providers(portal, session)
    if too_large:
        limit = f"{portal.settings.max_upload_bytes / 1024**2:.0f} MB"
        errors = {"file": f"Tệp vượt quá dung lượng cho phép ({limit})."}
        return _upload_failed(request, portal, providers, errors)
    try:
        document = await portal.documents.upload(session.token, upload)
    except ApiProblem as problem:
        return _upload_failed(request, portal, providers, _field_errors(problem))
    return see_other(request, f"{VAULT}/{document['id']}/ky-so")


def _upload_failed(
    request: Request, portal: PortalDep, providers: list[dict[str, Any]], errors: dict[str, str]
) -> Response:
    # The body was streamed on, so the typed values are gone: the citizen picks the file again.
    context = _upload_context(providers, portal, errors=errors)
    status = 422
    if request.headers.get("hx-request") == "true":
        return render(request, "vault_upload.html", context, status_code=200)
    return render(request, "vault_upload.html", context, status_code=status)


def _links(document: dict[str, Any]) -> NoticeLinks:
    doc_id = document["id"]
    return NoticeLinks(
        status_url=f"{VAULT}/{doc_id}/ky-so",
        view_url=f"{VAULT}/{doc_id}",
        view_label="Xem giấy tờ",
        back_url=VAULT,
        back_label=words.NAV_VAULT,
        subject=str(document.get("name") or ""),
        success_text=f"Giấy tờ “{document.get('name')}” đã được ký số thành công.",
        preferred_provider=(document.get("failure") or {}).get("provider"),
    )


async def _notice(
    portal: PortalDep, session: UserSession, doc_id: str
) -> tuple[NoticeLinks, dict[str, Any] | None]:
    document = await portal.documents.get(session.token, doc_id)
    failure = document.get("failure") or {}
    links = _links(document)
    context = await notice_context(
        portal,
        session,
        links,
        status=document.get("status"),
        request_id=(document.get("signing") or {}).get("request_id"),
        failure_reason=failure.get("reason"),
        failure_message=failure.get("message"),
    )
    if context is not None:
        context["document"] = document
    return links, context


@router.get(VAULT + "/{document_id}/ky-so")
async def signing_notice(
    request: Request, doc_id: DocumentId, session: SessionDep, portal: PortalDep
) -> Response:
    """ "Thông báo chờ xử lý", then success with "OK", or the failure with "Thử lại"."""
    _, context = await _notice(portal, session, doc_id)
    if context is None:
        return RedirectResponse(f"{VAULT}/{doc_id}", status_code=303)
    return show(request, context)


@router.post(VAULT + "/{document_id}/ky-so")
async def sign_again(
    request: Request, doc_id: DocumentId, session: FormSessionDep, portal: PortalDep
) -> Response:
    """ "Thử lại": a new sign request for the same document."""
    form = await request.form()
    provider = form.get("provider")
    if not isinstance(provider, str) or not provider:
        return RedirectResponse(f"{VAULT}/{doc_id}/ky-so", status_code=303)
    await portal.documents.sign(session.token, doc_id, provider)
    return see_other(request, f"{VAULT}/{doc_id}/ky-so")


@router.post(VAULT + "/{document_id}/ky-so/otp")
async def authorize_otp(
    request: Request, doc_id: DocumentId, session: FormSessionDep, portal: PortalDep
) -> Response:
    """The OTP the CA sent the citizen, for a sign request that is authorized by OTP."""
    links, context = await _notice(portal, session, doc_id)
    return await answer_otp(request, portal, session, links, context)


@router.get(VAULT + "/{document_id}")
async def document_page(
    request: Request, doc_id: DocumentId, session: SessionDep, portal: PortalDep
) -> Response:
    """One document: its state, "Lưu", "Tải tệp" and "Kiểm tra kết quả ký số"."""
    document = await portal.documents.get(session.token, doc_id)
    providers = await _providers(portal, session) if document.get("status") == "draft" else []
    return render(
        request,
        "document.html",
        {"document": document, "row": _row(document), "providers": providers},
    )


@router.post(VAULT + "/{document_id}/luu")
async def save(
    request: Request, doc_id: DocumentId, session: FormSessionDep, portal: PortalDep
) -> Response:
    """ "Lưu": keep the document in the vault."""
    await portal.documents.save(session.token, doc_id)
    return see_other(request, f"{VAULT}?luu={doc_id}")


@router.get(VAULT + "/{document_id}/tai-tep")
async def download(doc_id: DocumentId, session: SessionDep, portal: PortalDep) -> Response:
    """ "Tải tệp": the current (signed) version, streamed through."""
    file = await portal.documents.download(session.token, doc_id)
    headers = {
        name: file.headers[name]
        for name in ("content-disposition", "content-length", "x-content-sha256")
        if name in file.headers
    }
    headers["Cache-Control"] = "private, no-store"
    return StreamingResponse(
        file.chunks(),
        media_type=file.headers.get("content-type", "application/octet-stream"),
        headers=headers,
    )


@router.get(VAULT + "/{document_id}/kiem-tra")
async def check_document(
    request: Request, doc_id: DocumentId, session: SessionDep, portal: PortalDep
) -> Response:
    """ "Kiểm tra kết quả ký số" for a vault document."""
    document = await portal.documents.get(session.token, doc_id)
    report = await portal.documents.signatures(session.token, doc_id)
    return render(request, "signatures.html", {"document": document, "report": report})


@router.get("/kiem-tra-chu-ky")
async def check_file_form(request: Request, session: SessionDep) -> Response:
    """The same check for any file the citizen uploads."""
    return render(request, "check_file.html", {"errors": {}, "accept": ".pdf"})


@router.post("/kiem-tra-chu-ky")
async def check_file(request: Request, session: SessionDep, portal: PortalDep) -> Response:
    """Pass the uploaded file on to signing's validation and show its report."""
    upload = await checked_upload(request, session.data.csrf, portal.settings.upload_timeout_s)
    try:
        report = await portal.signing.validate_upload(session.token, upload)
    except ApiProblem as problem:
        return render(
            request,
            "check_file.html",
            {"errors": {"file": problem.detail}, "accept": ".pdf"},
            status_code=422,
        )
    return render(request, "signatures.html", {"document": None, "report": report})
