"""OIDC bearer-token authentication: RS256 JWTs verified against the issuer's JWKS."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hoso_common.errors import Forbidden, ServiceUnavailable, Unauthorized
from hoso_common.settings import AuthSettings

logger = logging.getLogger(__name__)

Role = Literal["citizen", "officer", "admin"]
ROLES: frozenset[str] = frozenset({"citizen", "officer", "admin"})


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the identity provider vouches."""

    sub: str
    roles: frozenset[str]
    name: str | None = None
    citizen_id: str | None = None
    agency: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has(self, role: Role) -> bool:
        return role in self.roles


class JwksCache:
    """Keeps the issuer's signing keys; refetches when a token names an unknown key id."""

    def __init__(self, url: str, ttl_s: float = 300.0, min_refresh_s: float = 5.0) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self.min_refresh_s = min_refresh_s
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> Any:
        if self._stale() or (kid not in self._keys and self._may_refresh()):
            await self._refresh()
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid not in self._keys:
            raise Unauthorized("Phiên đăng nhập không hợp lệ.", extra={"reason": "unknown_key"})
        return self._keys[kid]

    def _stale(self) -> bool:
        return time.monotonic() - self._fetched_at > self.ttl_s

    def _may_refresh(self) -> bool:
        return time.monotonic() - self._fetched_at > self.min_refresh_s

    async def _refresh(self) -> None:
        async with self._lock:
            if not self._stale() and not self._may_refresh():
                return
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                    jwks = response.json()
            except (httpx.HTTPError, ValueError) as error:
                logger.error("cannot fetch JWKS", extra={"url": self.url, "error": repr(error)})
                if not self._keys:
                    raise ServiceUnavailable("Không kết nối được dịch vụ xác thực.") from error
                return
            keys: dict[str, Any] = {}
            for entry in jwks.get("keys", []):
                if entry.get("kty") == "RSA" and entry.get("use", "sig") == "sig":
                    keys[entry.get("kid")] = jwt.PyJWK(entry, algorithm="RS256").key
            self._keys = keys
            self._fetched_at = time.monotonic()


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.jwks = JwksCache(settings.oidc_jwks_url)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorized(
                "Phiên đăng nhập không hợp lệ.", extra={"reason": "malformed"}
            ) from error
        if header.get("alg") != "RS256":
            raise Unauthorized("Phiên đăng nhập không hợp lệ.", extra={"reason": "algorithm"})
        key = await self.jwks.key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized(
                "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.", extra={"reason": "expired"}
            ) from error
        except jwt.InvalidAudienceError as error:
            raise Unauthorized(
                "Phiên đăng nhập không hợp lệ.", extra={"reason": "audience"}
            ) from error
        except jwt.PyJWTError as error:
            raise Unauthorized(
                "Phiên đăng nhập không hợp lệ.", extra={"reason": "invalid"}
            ) from error
        roles = claims.get("roles") or []
        if not isinstance(roles, list):
            roles = []
        return Principal(
            sub=str(claims["sub"]),
            roles=frozenset(r for r in roles if r in ROLES),
            name=claims.get("name"),
            citizen_id=claims.get("citizen_id"),
            agency=claims.get("agency"),
            claims=claims,
        )


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


def require_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if not any(principal.has(role) for role in roles):
            raise Forbidden()
        if "officer" in roles and principal.has("officer") and not principal.agency:
            raise Forbidden("Tài khoản cán bộ chưa được gán cơ quan.")
        return principal

    return dependency


CurrentUser = Annotated[Principal, Depends(current_principal)]
CitizenUser = Annotated[Principal, Depends(require_role("citizen"))]
OfficerUser = Annotated[Principal, Depends(require_role("officer", "admin"))]
AdminUser = Annotated[Principal, Depends(require_role("admin"))]
# Whoever may hold a signing certificate of their own: citizens, and officers who sign the
# results of their agency's dossiers.
SignerUser = Annotated[Principal, Depends(require_role("citizen", "officer"))]
