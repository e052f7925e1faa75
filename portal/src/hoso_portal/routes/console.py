""" "Hồ sơ cần xử lý": the officers' console of their agency's dossiers.

Officers (and admins) only: a citizen gets 403 here. What an officer may see and do is
decided again by the submission service on the officer's own token, so these pages only
choose what to offer.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from hoso_portal import words
from hoso_portal.deps import FormSessionDep, PortalDep, SessionDep, UserSession
from hoso_portal.errors import ApiProblem, NotAllowed, PageNotFound, ServiceDown
from hoso_portal.pages import render, see_other
from hoso_portal.routes.dossiers import ComponentCode, DossierId
from hoso_portal.routes.eforms import _file_response

logger = logging.getLogger(__name__)
router = APIRouter()

CONSOLE = "/can-bo/ho-so"
PAGE_SIZE = 20
_PROCEDURE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
# The PDF is shown inside the dossier page, so only this origin may frame it; it runs nothing.
PDF_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def officer_only(session: UserSession) -> UserSession:
    if not (session.data.has_role("officer") or session.data.has_role("admin")):
        raise NotAllowed("Trang này chỉ dành cho cán bộ của cơ quan tiếp nhận hồ sơ.")
    return session


async def officer_session(session: SessionDep) -> UserSession:
    return officer_only(session)


async def officer_form_session(session: FormSessionDep) -> UserSession:
    return officer_only(session)


OfficerDep = Annotated[UserSession, Depends(officer_session)]
OfficerFormDep = Annotated[UserSession, Depends(officer_form_session)]
# "?xong=": the action the officer just took, which the page names.
ActionDone = Annotated[str | None, Query(max_length=40)]


@router.get(CONSOLE)
async def inbox(
    request: Request,
    session: OfficerDep,
    portal: PortalDep,
    trang_thai: Annotated[int | None, Query(alias="trang-thai", ge=1, le=10)] = None,
    thu_tuc: Annotated[str | None, Query(alias="thu-tuc", max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    trang: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    """The agency's dossiers: counts by status, filters, search, overdue and due today first."""
    procedure = thu_tuc if thu_tuc and _PROCEDURE.match(thu_tuc) else None
    words_q = q.strip() if q and q.strip() else None
    page = await portal.submission.inbox(
        session.token,
        statuses=[trang_thai] if trang_thai else [],
        procedure=procedure,
        q=words_q,
        limit=PAGE_SIZE,
        offset=(trang - 1) * PAGE_SIZE,
    )
    procedures = await portal.submission.agency_procedures(session.token, session.data.agency)
    filters = {"trang-thai": trang_thai, "thu-tuc": procedure, "q": words_q}
    return render(
        request,
        "console_inbox.html",
        {
            "page": page,
            "items": page.get("items", []),
            "counts": page.get("counts", []),
            "all_count": sum(int(c.get("count", 0)) for c in page.get("counts", [])),
            "procedures": procedures,
            "filters": {k: v for k, v in filters.items() if v},
            "status": trang_thai,
            "procedure": procedure,
            "q": words_q or "",
            "trang": trang,
            "has_next": trang * PAGE_SIZE < int(page.get("total", 0)),
            "pages": max(1, -(-int(page.get("total", 0)) // PAGE_SIZE)),
        },
    )


async def _signature_reports(
    portal: PortalDep, session: UserSession, dossier: dict[str, Any]
) -> dict[str, dict[str, Any] | None]:
    """Each attached file's report from signing's validation; None where it could not be had."""
    reports: dict[str, dict[str, Any] | None] = {}
    for component in dossier.get("components") or []:
        code = component["component"]
        try:
            reports[code] = await portal.submission.signature_report(
                session.token, dossier["id"], code
            )
        except (ApiProblem, ServiceDown, PageNotFound) as error:
            logger.warning("no signature report for %s/%s: %s", dossier["id"], code, error)
            reports[code] = None
    return reports


async def _dossier_page(
    request: Request,
    portal: PortalDep,
    session: UserSession,
    did: str,
    *,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    done: str | None = None,
    note: str = "",
    status_code: int = 200,
) -> Response:
    dossier = await portal.submission.dossier(session.token, did)
    procedure = await portal.submission.procedure(session.token, dossier["procedure_code"])
    specs = {c["code"]: c for c in procedure.get("components") or []}
    return render(
        request,
        "console_dossier.html",
        {
            "dossier": dossier,
            "procedure": procedure,
            "specs": specs,
            "reports": await _signature_reports(portal, session, dossier),
            "actions": dossier.get("officer_actions") or [],
            "errors": errors or {},
            "problem": problem,
            "done": words.ACTIONS.get(done or ""),
            "note": note,
            "user": {"name": session.data.name, "roles": session.data.roles},
        },
        status_code=status_code,
    )


@router.get(CONSOLE + "/{dossier_id}")
async def dossier_page(
    request: Request,
    did: DossierId,
    session: OfficerDep,
    portal: PortalDep,
    xong: ActionDone = None,
) -> Response:
    """A dossier: citizen, procedure, components with files and signature reports, actions."""
    return await _dossier_page(request, portal, session, did, done=xong)


@router.post(CONSOLE + "/{dossier_id}/xu-ly")
async def act(
    request: Request, did: DossierId, session: OfficerFormDep, portal: PortalDep
) -> Response:
    """One of the actions the status machine allows, decided on the revision the page showed."""
    form = await request.form()
    action, revision, note = form.get("action"), form.get("revision"), form.get("note")
    if not isinstance(action, str) or action not in words.ACTIONS:
        raise PageNotFound()
    if not isinstance(revision, str) or not revision.isdigit():
        raise PageNotFound()
    label = words.ACTIONS[action]
    text = note.strip()[:2000] if isinstance(note, str) and note.strip() else None
    try:
        await portal.submission.act(session.token, did, action, note=text, revision=int(revision))
    except ApiProblem as problem:
        if problem.code == "note_required":
            message = words.ERR_NOTE_REQUIRED.format(label=label)
            return await _dossier_page(
                request, portal, session, did, errors={f"note-{action}": message}, status_code=422
            )
        if problem.status == 409:
            fresh = await portal.submission.dossier(session.token, did)
            message = words.ERR_ACTION_STALE.format(label=label, status=fresh["status_name"])
            return await _dossier_page(
                request, portal, session, did, problem=message, note=text or "", status_code=409
            )
        message = words.ERR_ACTION_FAILED.format(label=label, detail=problem.detail)
        return await _dossier_page(
            request, portal, session, did, problem=message, note=text or "", status_code=422
        )
    return see_other(request, f"{CONSOLE}/{did}?xong={action}")


@router.get(CONSOLE + "/{dossier_id}/thanh-phan/{code}/xem")
async def view_file(
    did: DossierId, code: ComponentCode, session: OfficerDep, portal: PortalDep
) -> Response:
    """A component's PDF shown inside the page; any other file is downloaded."""
    file = await portal.submission.component_file(session.token, did, code)
    if file.headers.get("content-type", "").split(";")[0].strip() != "application/pdf":
        return _file_response(file)
    disposition = file.headers.get("content-disposition", 'attachment; filename="tep.pdf"')
    headers = {
        "Content-Disposition": disposition.replace("attachment", "inline", 1),
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": PDF_CSP,
        "X-Frame-Options": "SAMEORIGIN",
    }
    if "content-length" in file.headers:
        headers["Content-Length"] = file.headers["content-length"]
    return StreamingResponse(file.chunks(), media_type="application/pdf", headers=headers)


@router.get(CONSOLE + "/{dossier_id}/thanh-phan/{code}/tai-tep")
async def download_file(
    did: DossierId, code: ComponentCode, session: OfficerDep, portal: PortalDep
) -> Response:
    return _file_response(await portal.submission.component_file(session.token, did, code))
