"""Request dependencies: the portal's parts, the current session (refreshed), CSRF checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from hoso_portal.clients.documents import DocumentsClient
from hoso_portal.clients.eforms import EformsClient
from hoso_portal.clients.signing import SigningClient
from hoso_portal.clients.submission import SubmissionClient
from hoso_portal.config import Settings
from hoso_portal.errors import CsrfRefused, LoginRequired, ServiceDown
from hoso_portal.live import LiveHub
from hoso_portal.notices import NoticeSource
from hoso_portal.oidc import IdentityProvider, RefreshRefused
from hoso_portal.security import safe_next, same_token
from hoso_portal.sessions import Session, SessionStore, utcnow

logger = logging.getLogger(__name__)


@dataclass
class Portal:
    """Everything a route needs, built once by the app factory (fakes in unit tests)."""

    settings: Settings
    store: SessionStore
    idp: IdentityProvider
    documents: DocumentsClient
    signing: SigningClient
    eforms: EformsClient
    submission: SubmissionClient
    notices: NoticeSource | None = None
    hub: LiveHub = field(default_factory=LiveHub)


def get_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


PortalDep = Annotated[Portal, Depends(get_portal)]


def return_path(request: Request) -> str:
    """Where to come back after a new login: this page for a GET, else the page it came from."""
    if request.method == "GET" and request.headers.get("hx-request") != "true":
        query = f"?{request.url.query}" if request.url.query else ""
        return safe_next(request.url.path + query)
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}"
    if referer.startswith(origin + "/"):
        return safe_next(referer[len(origin) :])
    return "/"


@dataclass
class UserSession:
    id: str
    data: Session

    @property
    def token(self) -> str:
        return self.data.access_token


async def current_session(request: Request, portal: PortalDep) -> UserSession:
    """The logged-in session, with a fresh access token; otherwise off to log in."""
    session_id = request.cookies.get(portal.settings.cookie_name)
    session = await portal.store.get(session_id) if session_id else None
    if session_id is None or session is None:
        raise LoginRequired(return_path(request))
    if not session.access_valid(utcnow()):
        if not session.refresh_token:
            await portal.store.delete(session_id)
            raise LoginRequired(return_path(request))
        try:
            tokens = await portal.idp.refresh(session.refresh_token)
        except RefreshRefused as error:
            await portal.store.delete(session_id)
            raise LoginRequired(return_path(request)) from error
        session.access_token = tokens.access_token
        session.access_expires_at = tokens.access_expires_at
        session.refresh_token = tokens.refresh_token or session.refresh_token
        session.refresh_expires_at = tokens.refresh_expires_at
        session.id_token = tokens.id_token or session.id_token
        await portal.store.update_tokens(session_id, session)
    request.state.session = session
    if request.headers.get("hx-request") != "true":
        # the header's badge: whole pages only, fragments keep the one they came with
        request.state.unread = await unread_count(portal, session.access_token)
    return UserSession(session_id, session)


async def unread_count(portal: Portal, token: str) -> int | None:
    """The badge's count; None while the notifications service is away (pages still work)."""
    if portal.notices is None:
        return None
    try:
        return await portal.notices.unread(token)
    except ServiceDown:
        return None


async def optional_session(request: Request, portal: PortalDep) -> UserSession | None:
    try:
        return await current_session(request, portal)
    except LoginRequired:
        return None


SessionDep = Annotated[UserSession, Depends(current_session)]
OptionalSessionDep = Annotated[UserSession | None, Depends(optional_session)]


async def checked_form_session(request: Request, session: SessionDep) -> UserSession:
    """A state-changing form post: the session's CSRF token must come back with it."""
    form = await request.form()
    given = form.get("csrf_token")
    if not same_token(session.data.csrf, given if isinstance(given, str) else None):
        logger.warning("refused a form post without a valid CSRF token: %s", request.url.path)
        raise CsrfRefused()
    return session


FormSessionDep = Annotated[UserSession, Depends(checked_form_session)]
