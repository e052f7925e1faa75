"""Viettel MySign bearer tokens: HMAC-signed, so they survive a restart of the sandbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenGrant:
    client_id: str
    user_id: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AccessTokens:
    def __init__(self, secret: bytes, ttl_s: int) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, client_id: str, user_id: str, now: float | None = None) -> str:
        expires_at = int(now if now is not None else time.time()) + self.ttl_s
        claims = _b64(json.dumps({"c": client_id, "u": user_id, "e": expires_at}).encode())
        return f"{claims}.{self._mac(claims)}"

    def verify(self, token: str, now: float | None = None) -> TokenGrant | None:
        """The grant, or None for a forged, malformed or expired token."""
        claims, _, mac = token.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(claims)):
            return None
        try:
            decoded = json.loads(_unb64(claims))
            grant = TokenGrant(str(decoded["c"]), str(decoded["u"]), int(decoded["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        if grant.expires_at <= (now if now is not None else time.time()):
            return None
        return grant

    def _mac(self, claims: str) -> str:
        return _b64(hmac.new(self._secret, claims.encode(), hashlib.sha256).digest())
