"""Authenticity of CA callbacks: HMAC-SHA256 over "<timestamp>." + body, in a replay window."""

from __future__ import annotations

import hashlib
import hmac


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_webhook(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    window_s: int,
) -> str | None:
    """None when the callback is authentic and fresh, else the reason it is refused."""
    if not timestamp or not signature:
        return "missing_signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "bad_timestamp"
    if abs(now - sent_at) > window_s:
        return "stale_timestamp"
    expected = webhook_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return "bad_signature"
    return None
