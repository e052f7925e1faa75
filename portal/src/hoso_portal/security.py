"""Small security rules: random ids, PKCE, CSRF comparison and safe return paths after login."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

# What a CA's one-time password looks like; anything else is refused before it reaches signing.
OTP_FORMAT = re.compile(r"^[0-9]{4,8}$")


def new_token() -> str:
    """256 random bits, URL-safe: session ids, CSRF tokens, OIDC state and nonce."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Records are keyed by the hash, so a database read does not hand out live cookies."""
    return hashlib.sha256(token.encode()).hexdigest()


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) as RFC 7636 defines them."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def safe_next(target: str | None, default: str = "/") -> str:
    """A path on this site to return to, or `default`: never another host (open redirect)."""
    if not target or len(target) > 2000:
        return default
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
