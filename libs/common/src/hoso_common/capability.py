"""Object capabilities: short-lived HMAC tokens by which an owning service lets another read.

The service that owns an object (documents, submission) checks who may see it, then issues a
capability naming the bucket, key, caller, audience and expiry. The reading service (signing's
validation API) accepts the object only through such a token, so it never has to trust a raw
bucket and key chosen by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

VALIDATION_AUDIENCE = "signing:validation"
_VERSION = "oc1"


@dataclass(frozen=True)
class ObjectGrant:
    """What a verified capability lets its holder read."""

    issuer: str
    subject: str
    audience: str
    bucket: str
    key: str
    expires_at: int
    signature_bucket: str | None = None
    signature_key: str | None = None


class CapabilityRefused(Exception):
    """The capability is forged, expired, for another audience or for another caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, signed: str) -> str:
    return _b64(hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest())


def issue_capability(
    secret: str,
    *,
    issuer: str,
    subject: str,
    audience: str,
    bucket: str,
    key: str,
    signature_bucket: str | None = None,
    signature_key: str | None = None,
    ttl_s: int = 120,
    now: float | None = None,
) -> str:
    """A token that lets `subject`, calling `audience`, read the named object until it expires."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "bkt": bucket,
        "key": key,
        "exp": int((time.time() if now is None else now) + ttl_s),
    }
    if signature_bucket and signature_key:
        claims |= {"sbkt": signature_bucket, "skey": signature_key}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signed = f"{_VERSION}.{payload}"
    return f"{signed}.{_mac(secret, signed)}"


def verify_capability(
    secret: str, token: str, *, audience: str, subject: str, now: float | None = None
) -> ObjectGrant:
    """The grant of a genuine, fresh capability issued to this caller for this audience."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _VERSION:
        raise CapabilityRefused("malformed")
    if not hmac.compare_digest(_mac(secret, f"{parts[0]}.{parts[1]}"), parts[2]):
        raise CapabilityRefused("signature")
    try:
        claims = json.loads(_unb64(parts[1]))
        grant = ObjectGrant(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            audience=str(claims["aud"]),
            bucket=str(claims["bkt"]),
            key=str(claims["key"]),
            expires_at=int(claims["exp"]),
            signature_bucket=claims.get("sbkt"),
            signature_key=claims.get("skey"),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise CapabilityRefused("malformed") from error
    if grant.audience != audience:
        raise CapabilityRefused("audience")
    # Bound to the caller, so a capability seen in a log or a proxy is useless to anyone else.
    if not hmac.compare_digest(grant.subject, subject):
        raise CapabilityRefused("subject")
    if grant.expires_at < (time.time() if now is None else now):
        raise CapabilityRefused("expired")
    return grant
