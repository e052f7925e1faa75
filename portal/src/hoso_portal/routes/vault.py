"""Flow 1 pages: the vault list, upload and "Ký số", the pending notice, "Lưu", download, checks."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from hoso_portal import words
from hoso_portal.deps import FormSessionDep, PortalDep, SessionDep, UserSession
from hoso_portal.errors import ApiProblem, CsrfRefused, PageNotFound
from hoso_portal.pages import parse_time, render
from hoso_portal.security import OTP_FORMAT, same_token
from hoso_portal.sessions import utcnow
from hoso_portal.upload import MalformedUpload, split_csrf

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
    try:
        token, rest = await split_csrf(request.headers.get("content-type"), request.stream())
    except MalformedUpload as error:
        raise CsrfRefused() from error
    if not same_token(session.data.csrf, token):
        raise CsrfRefused()
    providers = await _providers(portal, session)
    if too_large:
        limit = f"{portal.settings.max_upload_bytes / 1024**2:.0f} MB"
        errors = {"file": f"Tệp vượt quá dung lượng cho phép ({limit})."}
        return _upload_failed(request, portal, providers, errors)
    try:
        document = await portal.documents.upload(
            session.token,
            content_type=str(request.headers.get("content-type")),
            body=rest,
            timeout_s=portal.settings.upload_timeout_s,
        )
    except ApiProblem as problem:
        return _upload_failed(request, portal, providers, _field_errors(problem))
    return _see_other(request, f"{VAULT}/{document['id']}/ky-so")


def _upload_failed(
    request: Request, portal: PortalDep, providers: list[dict[str, Any]], errors: dict[str, str]
) -> Response:
    # The body was streamed on, so the typed values are gone: the citizen picks the file again.
    context = _upload_context(providers, portal, errors=errors)
    status = 422
    if request.headers.get("hx-request") == "true":
        return render(request, "vault_upload.html", context, status_code=200)
    return render(request, "vault_upload.html", context, status_code=status)


def _see_other(request: Request, url: str) -> Response:
    """POST → 303 → GET; htmx navigates the whole page to the same place."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def _notice(portal: PortalDep, session: UserSession, doc_id: str) -> dict[str, Any]:
    document = await portal.documents.get(session.token, doc_id)
    status = document.get("status")
    context: dict[str, Any] = {
        "document": document,
        "phase": None,
        "sign_request": None,
        "errors": {},
    }
    if status == "signing" and document.get("signing"):
        context["phase"] = "pending"
        context["remaining_s"] = None
        request_id = document["signing"]["request_id"]
        try:
            sign_request = await portal.signing.sign_request(session.token, request_id)
        except PageNotFound:
            # signing learns of the request from an event, a moment after the vault does
            return context
        context["sign_request"] = sign_request
        # The live event reaches the portal as it reaches the vault: the sign request's own
        # status is the truth when the vault has not recorded the outcome yet.
        if sign_request.get("phase") == "success":
            context["phase"] = "success"
            return context
        if sign_request.get("phase") == "failure":
            context["phase"] = "failure"
            context["failure_title"] = words.FAILURE_TITLES.get(
                str(sign_request.get("failure_reason")), words.FAILURE_TITLE_DEFAULT
            )
            context["failure_message"] = sign_request.get("failure_message") or words.ERR_GENERIC
            return context
        expires = parse_time(sign_request.get("expires_at"))
        if expires:
            context["remaining_s"] = max(0, int((expires - utcnow()).total_seconds()))
    elif status == "signed":
        context["phase"] = "success"
    elif status == "sign_failed":
        failure = document.get("failure") or {}
        context["phase"] = "failure"
        context["failure_title"] = words.FAILURE_TITLES.get(
            str(failure.get("reason")), words.FAILURE_TITLE_DEFAULT
        )
        context["failure_message"] = failure.get("message") or words.ERR_GENERIC
    return context


@router.get(VAULT + "/{document_id}/ky-so")
async def signing_notice(
    request: Request, doc_id: DocumentId, session: SessionDep, portal: PortalDep
) -> Response:
    """ "Thông báo chờ xử lý", then success with "OK", or the failure with "Thử lại"."""
    context = await _notice(portal, session, doc_id)
    if context["phase"] is None:
        return RedirectResponse(f"{VAULT}/{doc_id}", status_code=303)
    if context["phase"] == "failure":
        context["providers"] = await _providers(portal, session)
    if request.headers.get("hx-request") == "true":
        return render(request, "_signing_status.html", context)
    return render(request, "signing_notice.html", context)


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
    return _see_other(request, f"{VAULT}/{doc_id}/ky-so")


@router.post(VAULT + "/{document_id}/ky-so/otp")
async def authorize_otp(
    request: Request, doc_id: DocumentId, session: FormSessionDep, portal: PortalDep
) -> Response:
    """The OTP the CA sent the citizen, for a sign request that is authorized by OTP."""
    form = await request.form()
    otp = str(form.get("otp") or "").strip()
    context = await _notice(portal, session, doc_id)
    sign_request = context["sign_request"]
    if not sign_request or sign_request.get("authorization") != "otp":
        return _see_other(request, f"{VAULT}/{doc_id}/ky-so")
    error = None if OTP_FORMAT.match(otp) else words.ERR_OTP_FORMAT
    if error is None:
        try:
            await portal.signing.authorize_otp(session.token, sign_request["request_id"], otp)
        except ApiProblem as problem:
            error = problem.detail
        else:
            return _see_other(request, f"{VAULT}/{doc_id}/ky-so")
    context["errors"] = {"otp": error}
    # htmx swaps only 2xx answers, so it gets the page with the message as 200.
    status = 200 if request.headers.get("hx-request") == "true" else 422
    return render(request, "signing_notice.html", context, status_code=status)


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
    return _see_other(request, f"{VAULT}?luu={doc_id}")


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
    try:
        token, rest = await split_csrf(request.headers.get("content-type"), request.stream())
    except MalformedUpload as error:
        raise CsrfRefused() from error
    if not same_token(session.data.csrf, token):
        raise CsrfRefused()
    try:
        report = await portal.signing.validate_upload(
            session.token,
            content_type=str(request.headers.get("content-type")),
            body=rest,
            timeout_s=portal.settings.upload_timeout_s,
        )
    except ApiProblem as problem:
        return render(
            request,
            "check_file.html",
            {"errors": {"file": problem.detail}, "accept": ".pdf"},
            status_code=422,
        )
    return render(request, "signatures.html", {"document": None, "report": report})
