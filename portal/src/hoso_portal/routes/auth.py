"""Login (authorization code + PKCE), the IdP's callback, and RP-initiated logout."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hoso_portal.deps import FormSessionDep, PortalDep
from hoso_portal.errors import LoginFailed
from hoso_portal.security import new_token, pkce_pair, safe_next, same_token
from hoso_portal.sessions import PendingLogin, Session, utcnow

router = APIRouter()
logger = logging.getLogger(__name__)

LOGIN_COOKIE = "hoso_login"


def _cookie(response: Response, portal: PortalDep, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=portal.settings.secure_cookies,
    )


@router.get("/login")
async def login(portal: PortalDep, next: str | None = None) -> Response:
    """Send the browser to the IdP's login page, remembering where to come back."""
    verifier, challenge = pkce_pair()
    pending = PendingLogin(
        state=new_token(),
        nonce=new_token(),
        code_verifier=verifier,
        next_url=safe_next(next),
        expires_at=utcnow() + timedelta(seconds=portal.settings.login_ttl_s),
    )
    url = await portal.idp.authorization_url(
        state=pending.state, nonce=pending.nonce, code_challenge=challenge
    )
    login_id = await portal.store.start_login(pending)
    response = RedirectResponse(url, status_code=303)
    _cookie(response, portal, LOGIN_COOKIE, login_id, int(portal.settings.login_ttl_s))
    return response


@router.get("/login/callback")
async def callback(
    request: Request,
    portal: PortalDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """Finish the login: the state must match this browser's pending login."""
    login_id = request.cookies.get(LOGIN_COOKIE)
    pending = await portal.store.take_login(login_id) if login_id else None
    if pending is None or not same_token(pending.state, state):
        logger.warning("login callback without a matching pending login")
        raise LoginFailed()
    if error or not code:
        logger.info("the IdP ended the login with %s", error)
        raise LoginFailed()
    tokens = await portal.idp.exchange(
        code=code, code_verifier=pending.code_verifier, nonce=pending.nonce
    )
    claims = tokens.claims
    name = str(claims.get("name") or claims.get("preferred_username") or claims["sub"])
    # A new session id at every login: an id planted before login is never promoted.
    old = request.cookies.get(portal.settings.cookie_name)
    if old:
        await portal.store.delete(old)
    session_id = await portal.store.create(
        Session(
            sub=str(claims["sub"]),
            name=name,
            csrf=new_token(),
            access_token=tokens.access_token,
            access_expires_at=tokens.access_expires_at,
            refresh_token=tokens.refresh_token,
            refresh_expires_at=tokens.refresh_expires_at,
            id_token=tokens.id_token,
            expires_at=utcnow() + timedelta(seconds=portal.settings.session_ttl_s),
            roles=[str(r) for r in claims.get("roles") or [] if isinstance(r, str)],
            agency=str(claims["agency"]) if claims.get("agency") else None,
        )
    )
    response = RedirectResponse(safe_next(pending.next_url), status_code=303)
    _cookie(
        response,
        portal,
        portal.settings.cookie_name,
        session_id,
        int(portal.settings.session_ttl_s),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(session: FormSessionDep, portal: PortalDep) -> Response:
    """End the session here, then at the IdP, which sends the browser back to the home page."""
    await portal.store.delete(session.id)
    target = await portal.idp.end_session_url(session.data.id_token) or "/"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(portal.settings.cookie_name, path="/")
    return response
