""" "Nộp hồ sơ" and "Hồ sơ đã nộp": a dossier's components, submit, receipt, history, withdrawal."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from hoso_portal import words
from hoso_portal.deps import FormSessionDep, Portal, PortalDep, SessionDep, UserSession
from hoso_portal.errors import ApiProblem, CsrfRefused, PageNotFound
from hoso_portal.pages import refused_status, render, see_other
from hoso_portal.routes.eforms import _file_response
from hoso_portal.upload import checked_upload

router = APIRouter()

DOSSIERS = "/ho-so-da-nop"
PAGE_SIZE = 10
VAULT_PICKER_SIZE = 50
_DOSSIER_ID = re.compile(r"^[0-9a-f]{1,64}$")
_CODE = re.compile(r"^[A-Z0-9_]{1,20}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# An e-form's id, and the idempotency key a dossier page renders.
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
# DVCQG statuses in which the citizen changes the components: draft, and supplement requested.
EDITABLE = {0, 5}
WITHDRAWABLE = {1, 2}


def dossier_id(dossier_id: str) -> str:
    if not _DOSSIER_ID.match(dossier_id):
        raise PageNotFound()
    return dossier_id


def component_code(code: str) -> str:
    if not _CODE.match(code):
        raise PageNotFound()
    return code


DossierId = Annotated[str, Depends(dossier_id)]
ComponentCode = Annotated[str, Depends(component_code)]
# "?xong=": what the last post on a dossier's page did (a component's code, or a step's name).
Done = Annotated[str | None, Query(max_length=20)]


@router.post(DOSSIERS)
async def create_dossier(request: Request, session: FormSessionDep, portal: PortalDep) -> Response:
    """ "Nộp hồ sơ" on a procedure's page: a draft dossier to fill."""
    form = await request.form()
    code = form.get("procedure_code")
    if not isinstance(code, str) or not re.match(r"^[A-Za-z0-9_.-]{1,40}$", code):
        raise PageNotFound()
    dossier = await portal.submission.create(session.token, code)
    return see_other(request, f"{DOSSIERS}/{dossier['id']}")


@router.get(DOSSIERS)
async def dossier_list(
    request: Request,
    session: SessionDep,
    portal: PortalDep,
    trang: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    """ "Hồ sơ đã nộp": the citizen's own dossiers, newest first (drafts too, to go on with)."""
    items = await portal.submission.dossiers(
        session.token, limit=PAGE_SIZE + 1, offset=(trang - 1) * PAGE_SIZE
    )
    return render_list(request, items, trang)


def render_list(request: Request, items: list[dict[str, Any]], page: int) -> Response:
    return render(
        request,
        "dossiers.html",
        {"items": items[:PAGE_SIZE], "page": page, "has_next": len(items) > PAGE_SIZE},
    )


async def _dossier_context(
    portal: PortalDep, session: UserSession, dossier_id: str
) -> dict[str, Any]:
    dossier = await portal.submission.dossier(session.token, dossier_id)
    procedure = await portal.submission.procedure(session.token, dossier["procedure_code"])
    attached = {c["component"]: c for c in dossier.get("components") or []}
    editable = int(dossier["status"]) in EDITABLE
    vault: list[dict[str, Any]] = []
    components = []
    for spec in procedure.get("components") or []:
        signed_forms: list[dict[str, Any]] = []
        if editable and "eform" in spec["sources"] and spec.get("eform_template"):
            signed_forms = await portal.eforms.list_signed(session.token, spec["eform_template"])
        components.append(
            {"spec": spec, "attachment": attached.get(spec["code"]), "signed_forms": signed_forms}
        )
    if editable and any("vault" in c["spec"]["sources"] for c in components):
        page = await portal.documents.list_page(session.token, page=1, size=VAULT_PICKER_SIZE)
        vault = [d for d in page.get("items", []) if d.get("status") in ("draft", "signed")]
    requests = [h for h in dossier.get("history") or [] if h.get("to_status") == 5]
    return {
        "dossier": dossier,
        "procedure": procedure,
        "components": components,
        "editable": editable,
        "withdrawable": int(dossier["status"]) in WITHDRAWABLE,
        "vault": vault,
        "supplement_note": requests[-1].get("note") if requests else None,
        # A new key per render: two posts of this page (a double click) are one submission.
        "idempotency_key": uuid.uuid4().hex,
    }


async def _dossier_page(
    request: Request,
    portal: PortalDep,
    session: UserSession,
    dossier_id: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    context = await _dossier_context(portal, session, dossier_id)
    context["errors"] = errors or {}
    context["done"] = done
    return render(request, "dossier.html", context, status_code=status_code)


@router.get(DOSSIERS + "/{dossier_id}")
async def dossier_page(
    request: Request, did: DossierId, session: SessionDep, portal: PortalDep, xong: Done = None
) -> Response:
    """A dossier: "Thành phần hồ sơ" and their ways to fill, "Nộp hồ sơ", status history."""
    return await _dossier_page(request, portal, session, did, done=xong)


async def _refused(
    request: Request, portal: PortalDep, session: UserSession, did: str, field: str, detail: str
) -> Response:
    """The dossier page again, with why `field` (a component's code, or a form) was refused."""
    return await _dossier_page(
        request, portal, session, did, errors={field: detail}, status_code=refused_status(request)
    )


@dataclass(frozen=True)
class ComponentPost:
    """A post that fills one component of a dossier, and the ways back to the dossier's page."""

    request: Request
    portal: Portal
    session: UserSession
    did: str
    code: str

    async def picked(self, field: str, pattern: re.Pattern[str]) -> str | None:
        """The id chosen in the form's `field`; None when none was, or it is not an id."""
        value = (await self.request.form()).get(field)
        return value if isinstance(value, str) and pattern.match(value) else None

    async def refused(self, detail: str) -> Response:
        """The dossier's page again, the reason beside the component."""
        return await _refused(self.request, self.portal, self.session, self.did, self.code, detail)

    async def attached(self, attaching: Awaitable[object]) -> Response:
        """Back to the component once attached; the page again with the service's reason if not."""
        try:
            await attaching
        except ApiProblem as problem:
            return await self.refused(problem.detail)
        return see_other(self.request, f"{DOSSIERS}/{self.did}?xong={self.code}#tp-{self.code}")


async def component_form(
    request: Request,
    did: DossierId,
    code: ComponentCode,
    session: FormSessionDep,
    portal: PortalDep,
) -> ComponentPost:
    return ComponentPost(request, portal, session, did, code)


ComponentFormDep = Annotated[ComponentPost, Depends(component_form)]


@router.post(DOSSIERS + "/{dossier_id}/thanh-phan/{code}/tai-len")
async def attach_upload(
    request: Request, did: DossierId, code: ComponentCode, session: SessionDep, portal: PortalDep
) -> Response:
    """ "Từ máy tính": the file streamed on to the service, CSRF token checked first."""
    # Not a ComponentFormDep: reading the form would read the file the service is to stream.
    upload = await checked_upload(request, session.data.csrf, portal.settings.upload_timeout_s)
    post = ComponentPost(request, portal, session, did, code)
    return await post.attached(portal.submission.upload(session.token, did, code, upload))


@router.post(DOSSIERS + "/{dossier_id}/thanh-phan/{code}/tu-kho")
async def attach_from_vault(post: ComponentFormDep) -> Response:
    """From "Hồ sơ điện tử": the chosen document's current version, pinned by its hash."""
    document_id = await post.picked("document_id", _ID)
    if document_id is None:
        return await post.refused(words.ERR_PICK_DOCUMENT)
    token = post.session.token
    document = await post.portal.documents.get(token, document_id)
    version, sha256 = int(document["current_version"]), str(document["object"]["sha256"])
    return await post.attached(
        post.portal.submission.attach_vault(
            token, post.did, post.code, document_id=document_id, version=version, sha256=sha256
        )
    )


@router.post(DOSSIERS + "/{dossier_id}/thanh-phan/{code}/bieu-mau-da-ky")
async def attach_signed_form(post: ComponentFormDep) -> Response:
    """The signed e-form, directly: no download and upload round trip."""
    form_id = await post.picked("form_id", _HEX32)
    if form_id is None:
        return await post.refused(words.ERR_PICK_FORM)
    token = post.session.token
    return await post.attached(
        post.portal.submission.attach_eform(token, post.did, post.code, form_id)
    )


@router.post(DOSSIERS + "/{dossier_id}/thanh-phan/{code}/go")
async def detach(
    request: Request,
    did: DossierId,
    code: ComponentCode,
    session: FormSessionDep,
    portal: PortalDep,
) -> Response:
    """ "Gỡ tệp": the component is empty again."""
    await portal.submission.detach(session.token, did, code)
    return see_other(request, f"{DOSSIERS}/{did}#tp-{code}")


@router.get(DOSSIERS + "/{dossier_id}/thanh-phan/{code}/tai-tep")
async def component_file(
    did: DossierId, code: ComponentCode, session: SessionDep, portal: PortalDep
) -> Response:
    return _file_response(await portal.submission.component_file(session.token, did, code))


@router.post(DOSSIERS + "/{dossier_id}/nop")
async def submit(
    request: Request, did: DossierId, session: FormSessionDep, portal: PortalDep
) -> Response:
    """ "Nộp hồ sơ" (or "Nộp bổ sung"): once per rendered page, whatever the clicks."""
    form = await request.form()
    key = form.get("idempotency_key")
    if not isinstance(key, str) or not _HEX32.match(key):
        raise CsrfRefused()
    try:
        await portal.submission.submit(session.token, did, key)
    except ApiProblem as problem:
        return await _refused(request, portal, session, did, "submit", problem.detail)
    return see_other(request, f"{DOSSIERS}/{did}/bien-nhan")


@router.get(DOSSIERS + "/{dossier_id}/bien-nhan")
async def receipt(
    request: Request, did: DossierId, session: SessionDep, portal: PortalDep
) -> Response:
    """The receipt (biên nhận) with the receipt code."""
    dossier = await portal.submission.dossier(session.token, did)
    if not dossier.get("receipt_code"):
        return RedirectResponse(f"{DOSSIERS}/{did}", status_code=303)
    return render(request, "receipt.html", {"dossier": dossier})


@router.post(DOSSIERS + "/{dossier_id}/rut")
async def withdraw(
    request: Request, did: DossierId, session: FormSessionDep, portal: PortalDep
) -> Response:
    """ "Rút hồ sơ" before processing starts, with an optional reason."""
    form = await request.form()
    note = form.get("note")
    text = note.strip()[:2000] if isinstance(note, str) and note.strip() else None
    try:
        await portal.submission.withdraw(session.token, did, text)
    except ApiProblem as problem:
        return await _refused(request, portal, session, did, "withdraw", problem.detail)
    return see_other(request, f"{DOSSIERS}/{did}?xong=rut")
