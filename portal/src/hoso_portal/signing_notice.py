"""The signing notice that the vault (flow 1) and the e-forms (flow 2) share.

"Thông báo chờ xử lý" while the CA waits for the citizen, the OTP form when the provider asks
for one, then the success notice with "OK" or the failure with its reason and "Thử lại".
Each page only says where its links go and what is being signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from hoso_portal import words
from hoso_portal.deps import PortalDep, UserSession
from hoso_portal.errors import ApiProblem, PageNotFound
from hoso_portal.pages import parse_time, refused_status, render, see_other
from hoso_portal.security import OTP_FORMAT
from hoso_portal.sessions import utcnow

FRAGMENT = "_signing_status.html"
PAGE = "signing_notice.html"


@dataclass(frozen=True)
class NoticeLinks:
    """Where the notice of one signed thing points, and how it names that thing."""

    status_url: str  # read again by htmx and by a refresh
    view_url: str  # "OK", and the failure's way back
    view_label: str
    back_url: str
    back_label: str
    subject: str  # the name of what is being signed, for the heading
    success_text: str
    preferred_provider: str | None = None  # checked first under "Thử lại"

    @property
    def otp_url(self) -> str:
        return f"{self.status_url.split('?')[0]}/otp" + self._query

    @property
    def retry_url(self) -> str:
        return self.status_url

    @property
    def _query(self) -> str:
        _, sep, query = self.status_url.partition("?")
        return f"?{query}" if sep else ""


async def notice_context(
    portal: PortalDep,
    session: UserSession,
    links: NoticeLinks,
    *,
    status: str | None,
    request_id: str | None,
    failure_reason: str | None = None,
    failure_message: str | None = None,
) -> dict[str, Any] | None:
    """The notice for a thing in `status`, signed by the sign request `request_id`.

    None when the thing is not being signed and has not been (the page sends the citizen back).
    """
    context: dict[str, Any] = {
        "links": links,
        "phase": None,
        "sign_request": None,
        "remaining_s": None,
        "errors": {},
    }
    if status == "signing":
        context["phase"] = "pending"
        if not request_id:
            return context
        try:
            sign_request = await portal.signing.sign_request(session.token, request_id)
        except PageNotFound:
            # signing learns of the request from an event, a moment after the owner does
            return context
        context["sign_request"] = sign_request
        # The live event reaches the portal as it reaches the owning service: the sign
        # request's own status is the truth while the owner has not recorded the outcome.
        if sign_request.get("phase") == "success":
            context["phase"] = "success"
        elif sign_request.get("phase") == "failure":
            _failed(
                context,
                sign_request.get("failure_reason"),
                sign_request.get("failure_message"),
            )
        else:
            expires = parse_time(sign_request.get("expires_at"))
            if expires:
                context["remaining_s"] = max(0, int((expires - utcnow()).total_seconds()))
    elif status == "signed":
        context["phase"] = "success"
    elif status == "sign_failed":
        _failed(context, failure_reason, failure_message)
    else:
        return None
    if context["phase"] == "failure":
        context["providers"] = await portal.signing.providers(session.token)
    return context


def _failed(context: dict[str, Any], reason: object, message: object) -> None:
    context["phase"] = "failure"
    context["failure_title"] = words.FAILURE_TITLES.get(str(reason), words.FAILURE_TITLE_DEFAULT)
    context["failure_message"] = message or words.ERR_GENERIC


def show(request: Request, context: dict[str, Any]) -> Response:
    """The notice alone for htmx's swaps, the whole page otherwise."""
    if request.headers.get("hx-request") == "true":
        return render(request, FRAGMENT, context)
    return render(request, PAGE, context)


async def answer_otp(
    request: Request,
    portal: PortalDep,
    session: UserSession,
    links: NoticeLinks,
    context: dict[str, Any] | None,
) -> Response:
    """Pass the OTP the CA sent the citizen to signing, or show why it was refused."""
    posted = await request.form()
    otp = str(posted.get("otp") or "").strip()
    sign_request = context["sign_request"] if context else None
    if context is None or not sign_request or sign_request.get("authorization") != "otp":
        return see_other(request, links.status_url)
    error = None if OTP_FORMAT.match(otp) else words.ERR_OTP_FORMAT
    if error is None:
        try:
            await portal.signing.authorize_otp(session.token, sign_request["request_id"], otp)
        except ApiProblem as problem:
            error = problem.detail
        else:
            return see_other(request, links.status_url)
    context["errors"] = {"otp": error}
    status = refused_status(request)
    return render(request, PAGE, context, status_code=status)
