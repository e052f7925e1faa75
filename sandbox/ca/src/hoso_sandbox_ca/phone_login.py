"""The phone page's OpenID Connect login: authorization code + PKCE S256 at the IdP.

The page is a relying party like the portal, with the realm's public client
`sandbox-ca-phone` (no secret to keep in a sandbox; PKCE binds the code to this browser's
login). Pending logins and sessions stay in this process: the sandbox CA runs as one
process, and a restart only means the page logs in again (silently while the IdP's single
sign-on session lasts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from hoso_common.auth import Principal, TokenVerifier
from hoso_common.errors import AppError
from hoso_sandbox_ca.config import Settings

logger = logging.getLogger(__name__)

LOGIN_TTL_S = 600.0
# Bounds memory whatever a client does: the oldest entries go first.
MAX_ENTRIES = 10_000


class PhoneLoginFailed(Exception):
    """The login did not yield a citizen's verified tokens; `reason` is for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str
    expires_at: float


@dataclass(frozen=True)
class PhoneSession:
    access_token: str
    id_token: str
    expires_at: float


def new_token() -> str:
    return secrets.token_urlsafe(32)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) as RFC 7636 defines them."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _key(token: str) -> str:
    # Entries are keyed by the cookie's hash, so a memory dump does not hand out live cookies.
    return hashlib.sha256(token.encode()).hexdigest()


def _put(store: dict[str, Any], key: str, value: Any) -> None:
    now = time.time()
    for stale in [k for k, v in store.items() if v.expires_at <= now]:
        del store[stale]
    while len(store) >= MAX_ENTRIES:
        del store[next(iter(store))]
    store[key] = value


class PhoneLogin:
    """Builds the IdP's URLs, exchanges the code, verifies the tokens, keeps the sessions."""

    def __init__(
        self, settings: Settings, verifier: TokenVerifier, http: httpx.AsyncClient | None = None
    ) -> None:
        self.settings = settings
        self.verifier = verifier
        self.http = http or httpx.AsyncClient(timeout=10.0)
        self._logins: dict[str, PendingLogin] = {}
        self._sessions: dict[str, PhoneSession] = {}

    @property
    def redirect_uri(self) -> str:
        return self.settings.phone_url.rstrip("/") + "/callback"

    def start(self) -> tuple[str, str]:
        """(login cookie, the IdP's authorization URL) for a new login."""
        verifier, challenge = pkce_pair()
        pending = PendingLogin(new_token(), new_token(), verifier, time.time() + LOGIN_TTL_S)
        login_id = new_token()
        _put(self._logins, _key(login_id), pending)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.phone_client_id,
                "redirect_uri": self.redirect_uri,
                "scope": "openid",
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "ui_locales": "vi",
            }
        )
        return login_id, f"{self.settings.oidc_issuer}/protocol/openid-connect/auth?{query}"

    async def finish(self, login_id: str | None, state: str | None, code: str | None) -> str:
        """The session cookie once the callback matches this browser's pending login."""
        pending = self._logins.pop(_key(login_id), None) if login_id else None
        if (
            pending is None
            or pending.expires_at <= time.time()
            or not state
            or not hmac.compare_digest(pending.state.encode(), state.encode())
        ):
            raise PhoneLoginFailed("stale")
        if not code:
            raise PhoneLoginFailed("cancelled")
        body = await self._exchange(code, pending.code_verifier)
        access, id_token = body.get("access_token"), body.get("id_token")
        if not isinstance(access, str) or not isinstance(id_token, str):
            raise PhoneLoginFailed("failed")
        try:
            citizen = await self.verifier.verify(access)
        except AppError as error:
            logger.warning("phone login: access token refused: %s", error)
            raise PhoneLoginFailed("failed") from error
        claims = await self._id_claims(id_token, pending.nonce)
        if claims.get("sub") != citizen.sub:
            raise PhoneLoginFailed("failed")
        session_id = new_token()
        expires = float(citizen.claims.get("exp", time.time()))
        _put(self._sessions, _key(session_id), PhoneSession(access, id_token, expires))
        return session_id

    async def citizen(self, session_id: str | None) -> Principal | None:
        """The session's principal while its access token verifies; None otherwise."""
        session = self._sessions.get(_key(session_id)) if session_id else None
        if session is None:
            return None
        try:
            return await self.verifier.verify(session.access_token)
        except AppError:
            self._sessions.pop(_key(session_id or ""), None)
            return None

    def end(self, session_id: str | None) -> str:
        """Forget the session; the IdP's logout URL that ends the single sign-on too."""
        session = self._sessions.pop(_key(session_id), None) if session_id else None
        query = {
            "client_id": self.settings.phone_client_id,
            "post_logout_redirect_uri": self.settings.phone_url,
        }
        if session is not None:
            query["id_token_hint"] = session.id_token
        return f"{self.settings.oidc_issuer}/protocol/openid-connect/logout?{urlencode(query)}"

    async def _exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        try:
            response = await self.http.post(
                self.settings.phone_token_url,
                data={
                    "grant_type": "authorization_code",
                    "client_id": self.settings.phone_client_id,
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": code_verifier,
                },
            )
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.error("phone login: token endpoint unreachable: %r", error)
            raise PhoneLoginFailed("idp_down") from error
        if response.status_code != 200:
            logger.warning("phone login: code refused: %s %s", response.status_code, body)
            raise PhoneLoginFailed("failed")
        return body

    async def _id_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        # The same issuer and keys as the access token, but addressed to this client.
        try:
            key = await self.verifier.jwks.key(jwt.get_unverified_header(id_token).get("kid"))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=self.settings.phone_client_id,
                issuer=self.verifier.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=30,
            )
        except (jwt.PyJWTError, AppError) as error:
            logger.warning("phone login: ID token refused: %r", error)
            raise PhoneLoginFailed("failed") from error
        if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise PhoneLoginFailed("failed")
        return claims

    async def aclose(self) -> None:
        await self.http.aclose()
