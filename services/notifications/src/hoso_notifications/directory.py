"""Where a person's e-mail address and phone number come from: their profile at the IdP.

Keycloak's admin API is called with the token of a confidential client whose service account
may only view the realm's users (`hoso-notifications`, client-credentials grant).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import httpx

from hoso_common.errors import ServiceUnavailable
from hoso_notifications.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    """What the messages need of a person."""

    name: str | None
    email: str | None
    phone: str | None


class Directory(Protocol):
    async def profile(self, sub: str) -> Profile | None:
        """The person's profile; None when the IdP has no such user."""
        ...


class KeycloakDirectory:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.realm_url = f"{settings.idp_url.rstrip('/')}/realms/{settings.idp_realm}"
        self.admin_url = f"{settings.idp_url.rstrip('/')}/admin/realms/{settings.idp_realm}"
        self._token = ""
        self._token_until = 0.0
        self._cache: dict[str, tuple[float, Profile | None]] = {}

    async def _access_token(self) -> str:
        if time.monotonic() < self._token_until:
            return self._token
        response = await self._call(
            "POST",
            f"{self.realm_url}/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.settings.idp_client_id,
                "client_secret": self.settings.idp_client_secret.get_secret_value(),
            },
        )
        if response.status_code != 200:
            # a wrong secret or a missing client is a deployment defect, not an outage
            raise RuntimeError(f"the IdP refused the notifications client: {response.status_code}")
        body = response.json()
        self._token = str(body["access_token"])
        self._token_until = time.monotonic() + max(5.0, float(body.get("expires_in", 60)) - 15)
        return self._token

    async def _call(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            response = await self.http.request(
                method,
                url,
                timeout=self.settings.idp_timeout_s,
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.TransportError as error:
            raise ServiceUnavailable("the IdP is unreachable") from error
        if response.status_code >= 500:
            raise ServiceUnavailable(f"the IdP answered {response.status_code}")
        return response

    async def profile(self, sub: str) -> Profile | None:
        cached = self._cache.get(sub)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        token = await self._access_token()
        response = await self._call(
            "GET", f"{self.admin_url}/users/{sub}", headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 401:
            self._token_until = 0.0
            raise ServiceUnavailable("the IdP token expired")
        if response.status_code == 404:
            profile: Profile | None = None
        elif response.status_code != 200:
            raise RuntimeError(f"the IdP answered {response.status_code} for a user")
        else:
            user = response.json()
            attributes = user.get("attributes") or {}
            phones = attributes.get("phone_number") or []
            name = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p)
            profile = Profile(
                name=name or None,
                email=user.get("email") or None,
                phone=str(phones[0]) if phones else None,
            )
        self._cache[sub] = (time.monotonic() + self.settings.profile_cache_s, profile)
        return profile
