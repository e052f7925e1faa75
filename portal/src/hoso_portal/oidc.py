"""OpenID Connect relying party: discovery, authorization code + PKCE, refresh, RP logout."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import jwt

from hoso_common.auth import JwksCache
from hoso_portal.config import Settings
from hoso_portal.errors import LoginFailed, ServiceDown
from hoso_portal.sessions import utcnow

logger = logging.getLogger(__name__)

DISCOVERY_TTL_S = 3600.0


@dataclass
class TokenSet:
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None
    refresh_expires_at: datetime | None
    id_token: str | None
    claims: dict[str, Any]


class RefreshRefused(Exception):
    """The IdP no longer honours the refresh token: the user logs in again."""


class IdentityProvider(Protocol):
    async def authorization_url(self, *, state: str, nonce: str, code_challenge: str) -> str: ...
    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> TokenSet: ...
    async def refresh(self, refresh_token: str) -> TokenSet: ...
    async def end_session_url(self, id_token: str | None) -> str | None: ...
    async def origin(self) -> str: ...


def _expiry(seconds: Any) -> datetime | None:
    if isinstance(seconds, int | float) and seconds > 0:
        return utcnow() + timedelta(seconds=float(seconds))
    return None


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


class OidcClient:
    """Talks to the IdP as the portal's confidential client; tokens never reach the browser."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.AsyncClient(timeout=10.0)
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._jwks: JwksCache | None = None
        self._lock = asyncio.Lock()

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._fetched_at > DISCOVERY_TTL_S:
            async with self._lock:
                if self._metadata is None or time.monotonic() - self._fetched_at > DISCOVERY_TTL_S:
                    await self._discover()
        assert self._metadata is not None
        return self._metadata

    async def _discover(self) -> None:
        try:
            response = await self.http.get(self.settings.oidc_discovery_url)
            response.raise_for_status()
            metadata = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.error("OIDC discovery failed: %r", error)
            raise ServiceDown("Không kết nối được dịch vụ đăng nhập.") from error
        backchannel = self.settings.oidc_backchannel_url
        if backchannel:
            # The browser goes to the IdP's public address; the portal's own calls (tokens,
            # keys) go to its in-cluster one. The issuer in the tokens stays the public one.
            public = _origin(str(metadata["issuer"]))
            for key in ("token_endpoint", "jwks_uri"):
                if str(metadata.get(key, "")).startswith(public + "/"):
                    metadata[key] = backchannel.rstrip("/") + str(metadata[key])[len(public) :]
        self._metadata = metadata
        self._fetched_at = time.monotonic()
        self._jwks = JwksCache(str(metadata["jwks_uri"]))

    async def origin(self) -> str:
        return _origin(str((await self.metadata())["authorization_endpoint"]))

    async def authorization_url(self, *, state: str, nonce: str, code_challenge: str) -> str:
        metadata = await self.metadata()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.oidc_client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": self.settings.oidc_scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
                "ui_locales": "vi",
            }
        )
        return f"{metadata['authorization_endpoint']}?{query}"

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        metadata = await self.metadata()
        try:
            response = await self.http.post(
                str(metadata["token_endpoint"]),
                data=form,
                auth=(
                    self.settings.oidc_client_id,
                    self.settings.oidc_client_secret.get_secret_value(),
                ),
            )
        except httpx.HTTPError as error:
            raise ServiceDown("Không kết nối được dịch vụ đăng nhập.") from error
        if response.status_code >= 500:
            raise ServiceDown("Dịch vụ đăng nhập đang gặp sự cố.")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as error:
            raise ServiceDown("Dịch vụ đăng nhập trả lời không hợp lệ.") from error
        if response.status_code != 200:
            logger.warning("token endpoint refused: %s %s", response.status_code, body.get("error"))
            raise RefreshRefused(str(body.get("error")))
        return body

    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> TokenSet:
        try:
            body = await self._token_request(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.settings.redirect_uri,
                    "code_verifier": code_verifier,
                }
            )
        except RefreshRefused as error:
            raise LoginFailed() from error
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise LoginFailed()
        claims = await self._verify_id_token(id_token, nonce)
        return self._token_set(body, claims)

    async def refresh(self, refresh_token: str) -> TokenSet:
        body = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        return self._token_set(body, {})

    async def end_session_url(self, id_token: str | None) -> str | None:
        metadata = await self.metadata()
        endpoint = metadata.get("end_session_endpoint")
        if not endpoint:
            return None
        query: dict[str, str] = {
            "client_id": self.settings.oidc_client_id,
            "post_logout_redirect_uri": self.settings.post_logout_redirect_uri,
        }
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"

    async def _verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        metadata = await self.metadata()
        assert self._jwks is not None
        try:
            header = jwt.get_unverified_header(id_token)
            key = await self._jwks.key(header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=self.settings.oidc_client_id,
                issuer=str(metadata["issuer"]),
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=30,
            )
        except Exception as error:  # any failure here means: do not log this person in
            logger.warning("ID token refused: %r", error)
            raise LoginFailed() from error
        if claims.get("nonce") != nonce:
            raise LoginFailed()
        return claims

    @staticmethod
    def _token_set(body: dict[str, Any], claims: dict[str, Any]) -> TokenSet:
        access = body.get("access_token")
        if not isinstance(access, str):
            raise LoginFailed()
        return TokenSet(
            access_token=access,
            access_expires_at=_expiry(body.get("expires_in")) or utcnow() + timedelta(minutes=5),
            refresh_token=body.get("refresh_token"),
            refresh_expires_at=_expiry(body.get("refresh_expires_in")),
            id_token=body.get("id_token"),
            claims=claims,
        )

    async def aclose(self) -> None:
        await self.http.aclose()
