""" "Kết quả giải quyết": the officer uploads, signs, completes and returns a dossier's result;
the citizen downloads it once returned.

The officers' console shows the result on its dossier page through `_console_result.html`;
the forms of that partial post here and come back (303) to the page they were posted from:
the console's dossier page (`?ve=ho-so`) or this module's own result page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from hoso_portal import words
from hoso_portal.deps import FormSessionDep, PortalDep, SessionDep, UserSession
from hoso_portal.errors import ApiProblem, CsrfRefused
from hoso_portal.pages import refused_status, render, see_other
from hoso_portal.routes.dossiers import DOSSIERS, Done, DossierId
from hoso_portal.routes.eforms import _file_response
from hoso_portal.signing_notice import NoticeLinks, answer_otp, notice_context, show
from hoso_portal.upload import checked_upload

router = APIRouter()

CONSOLE_DOSSIERS = "/can-bo/ho-so"
# The result actions that the result page offers beside the console's generic action list.
RESULT_ACTIONS = {"complete": words.COMPLETE, "return_result": words.RETURN_RESULT}
# Where a form of the partial comes back to: the console's dossier page, or the result page.
BACK_TO_CONSOLE = "ho-so"
Back = Annotated[str | None, Query(alias="ve", max_length=10)]


def result_url(dossier_id: str) -> str:
    return f"{CONSOLE_DOSSIERS}/{dossier_id}/ket-qua"


def back_url(dossier_id: str, back: str | None) -> str:
    """Only two places to go back to: never a URL taken from the request."""
    if back == BACK_TO_CONSOLE:
        return f"{CONSOLE_DOSSIERS}/{dossier_id}"
    return result_url(dossier_id)


def _status_of(dossier: dict[str, Any]) -> str | None:
    return (dossier.get("result") or {}).get("status")


async def _result_page(
    request: Request,
    portal: PortalDep,
    session: UserSession,
    dossier_id: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    dossier = await portal.submission.dossier(session.token, dossier_id)
    return render(
        request,
        "console_result.html",
        {
            "dossier": dossier,
            "result_errors": errors or {},
            "result_done": done,
            "result_back": None,
            "actions": _offered_actions(dossier),
        },
        status_code=status_code,
    )


def _offered_actions(dossier: dict[str, Any]) -> list[tuple[str, str]]:
    status = int(dossier.get("status") or 0)
    if status == 4:
        return [("complete", RESULT_ACTIONS["complete"])]
    if status == 9:
        return [("return_result", RESULT_ACTIONS["return_result"])]
    return []


async def _failed(
    request: Request,
    portal: PortalDep,
    session: UserSession,
    dossier_id: str,
    problem: ApiProblem,
    field: str = "result",
) -> Response:
    errors = {field: problem.detail}
    return await _result_page(
        request, portal, session, dossier_id, errors=errors, status_code=refused_status(request)
    )


@router.get(CONSOLE_DOSSIERS + "/{dossier_id}/ket-qua")
async def result_page(
    request: Request, did: DossierId, session: SessionDep, portal: PortalDep, xong: Done = None
) -> Response:
    """The dossier's result: upload, "Ký số", its signature, "Hoàn thành" and "Trả kết quả"."""
    return await _result_page(request, portal, session, did, done=xong)


@router.post(CONSOLE_DOSSIERS + "/{dossier_id}/ket-qua/tai-len")
async def upload_result(
    request: Request, did: DossierId, session: SessionDep, portal: PortalDep, back: Back = None
) -> Response:
    """The result PDF, streamed on to submission once the CSRF token at its head is checked."""
    upload = await checked_upload(request, session.data.csrf, portal.settings.upload_timeout_s)
    try:
        await portal.submission.upload_result(session.token, did, upload)
    except ApiProblem as problem:
        return await _failed(request, portal, session, did, problem)
    return see_other(request, f"{back_url(did, back)}?xong=tai-len#ket-qua")


def _links(dossier: dict[str, Any], back: str | None) -> NoticeLinks:
    did = str(dossier["id"])
    result = dossier.get("result") or {}
    code = dossier.get("receipt_code") or did
    query = f"?ve={BACK_TO_CONSOLE}" if back == BACK_TO_CONSOLE else ""
    return NoticeLinks(
        status_url=f"{result_url(did)}/ky-so{query}",
        view_url=f"{back_url(did, back)}#ket-qua",
        view_label="Xem hồ sơ",
        back_url=f"{back_url(did, back)}#ket-qua",
        back_label=f"Hồ sơ {code}",
        subject=f"{words.RESULT} hồ sơ {code}",
        success_text=f"Kết quả giải quyết của hồ sơ {code} đã được ký số thành công.",
        preferred_provider=result.get("provider"),
    )


async def _notice(
    portal: PortalDep, session: UserSession, did: str, back: str | None
) -> tuple[NoticeLinks, dict[str, Any] | None]:
    dossier = await portal.submission.dossier(session.token, did)
    result = dossier.get("result") or {}
    links = _links(dossier, back)
    context = await notice_context(
        portal,
        session,
        links,
        status=_status_of(dossier),
        request_id=result.get("sign_request_id"),
        failure_reason=result.get("failure_reason"),
        failure_message=result.get("failure_message"),
    )
    if context is not None:
        context["dossier"] = dossier
    return links, context


@router.get(CONSOLE_DOSSIERS + "/{dossier_id}/ket-qua/ky-so")
async def signing_notice(
    request: Request, did: DossierId, session: SessionDep, portal: PortalDep, back: Back = None
) -> Response:
    """ "Thông báo chờ xử lý" while the officer approves on the phone, then the outcome."""
    _, context = await _notice(portal, session, did, back)
    if context is None:
        return RedirectResponse(f"{back_url(did, back)}#ket-qua", status_code=303)
    return show(request, context)


@router.post(CONSOLE_DOSSIERS + "/{dossier_id}/ket-qua/ky-so")
async def sign_result(
    request: Request, did: DossierId, session: FormSessionDep, portal: PortalDep, back: Back = None
) -> Response:
    """ "Ký số" (and "Thử lại"): the officer's own signature on the result."""
    form = await request.form()
    provider = form.get("provider")
    if not isinstance(provider, str) or not provider:
        problem = ApiProblem(422, "provider_required", words.ERR_PROVIDER_REQUIRED)
        return await _failed(request, portal, session, did, problem, "provider")
    try:
        await portal.submission.sign_result(session.token, did, provider)
    except ApiProblem as problem:
        return await _failed(request, portal, session, did, problem)
    query = f"?ve={BACK_TO_CONSOLE}" if back == BACK_TO_CONSOLE else ""
    return see_other(request, f"{result_url(did)}/ky-so{query}")


@router.post(CONSOLE_DOSSIERS + "/{dossier_id}/ket-qua/ky-so/otp")
async def authorize_otp(
    request: Request, did: DossierId, session: FormSessionDep, portal: PortalDep, back: Back = None
) -> Response:
    """The OTP the CA sent the officer, for a provider that authorizes by OTP."""
    links, context = await _notice(portal, session, did, back)
    return await answer_otp(request, portal, session, links, context)


@router.get(CONSOLE_DOSSIERS + "/{dossier_id}/ket-qua/tai-tep")
async def officer_result_file(did: DossierId, session: SessionDep, portal: PortalDep) -> Response:
    """The result file as it stands (signed once signed), for the dossier's agency."""
    return _file_response(await portal.submission.result_file(session.token, did))


@router.post(CONSOLE_DOSSIERS + "/{dossier_id}/ket-qua/thao-tac")
async def result_action(
    request: Request, did: DossierId, session: FormSessionDep, portal: PortalDep, back: Back = None
) -> Response:
    """ "Hoàn thành" (needs a valid signed result) or "Trả kết quả" (gives it to the citizen)."""
    form = await request.form()
    action = form.get("action")
    if not isinstance(action, str) or action not in RESULT_ACTIONS:
        raise CsrfRefused()
    try:
        await portal.submission.act(session.token, did, action)
    except ApiProblem as problem:
        return await _failed(request, portal, session, did, problem, "action")
    return see_other(request, f"{back_url(did, back)}?xong={action}#ket-qua")


@router.get(DOSSIERS + "/{dossier_id}/ket-qua")
async def citizen_result_file(did: DossierId, session: SessionDep, portal: PortalDep) -> Response:
    """The citizen's signed result, once the agency has returned it."""
    return _file_response(await portal.submission.result_file(session.token, did))
