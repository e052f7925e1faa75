"""Viettel bearer tokens and the webhook HMAC."""

import hashlib
import hmac

from hoso_sandbox_ca.tokens import AccessTokens
from hoso_sandbox_ca.webhooks import encode_body, webhook_signature


def test_token_round_trip_and_expiry() -> None:
    tokens = AccessTokens(b"k" * 32, ttl_s=3600)
    token = tokens.issue("hoso-client", "001203004567", now=1000)
    grant = tokens.verify(token, now=1001)
    assert grant is not None
    assert (grant.client_id, grant.user_id, grant.expires_at) == (
        "hoso-client",
        "001203004567",
        4600,
    )
    assert tokens.verify(token, now=4600) is None


def test_forged_or_foreign_tokens_are_refused() -> None:
    tokens = AccessTokens(b"k" * 32, ttl_s=3600)
    token = tokens.issue("hoso-client", "001203004567", now=1000)
    claims, _, mac = token.partition(".")
    other = AccessTokens(b"x" * 32, ttl_s=3600).issue("hoso-client", "001203004567", now=1000)
    assert tokens.verify(other, now=1001) is None
    assert tokens.verify(claims + "." + mac[:-2] + "AA", now=1001) is None
    assert tokens.verify("garbage", now=1001) is None
    assert tokens.verify("", now=1001) is None


def test_webhook_signature_is_hmac_over_timestamp_dot_body() -> None:
    body = encode_body({"transaction_id": "t", "status": "signed", "name": "Hộ tịch"})
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhook_signature(b"s3cret", "1700000000", body) == expected
    assert webhook_signature(b"s3cret", "1700000001", body) != expected
    assert "Hộ tịch".encode() in body
