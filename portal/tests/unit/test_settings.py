"""The portal's settings: production refuses the local stack's addresses; the IdP back channel."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from hoso_portal.config import Settings
from hoso_portal.oidc import OidcClient

PRODUCTION: dict[str, Any] = {
    "env": "production",
    "public_url": "https://dichvucong.example.gov.vn",
    "oidc_discovery_url": "https://sso.example.gov.vn/auth/realms/hoso/.well-known/openid-configuration",
    "oidc_client_secret": SecretStr("a-real-secret-from-the-idp-0123456789"),
    "mongo_url": SecretStr("mongodb://hoso:a-long-password-0123456789@mongo-1:27017/"),
}


def test_production_accepts_real_https_addresses() -> None:
    settings = Settings(**PRODUCTION)
    assert settings.secure_cookies


@pytest.mark.parametrize(
    "change",
    [
        {"public_url": "http://dichvucong.example.gov.vn"},
        {
            "oidc_discovery_url": "http://127.0.0.1:8080/auth/realms/hoso/.well-known/openid-configuration"
        },
        {"oidc_client_secret": SecretStr("change-me")},
    ],
)
def test_production_refuses_the_local_stacks_values(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(**{**PRODUCTION, **change})


def test_each_replica_has_its_own_live_group() -> None:
    first = Settings(replica_id="portal-7d9f-abcde")
    assert first.live_group == "hoso-portal-live-portal-7d9f-abcde"


def test_token_and_key_requests_take_the_back_channel() -> None:
    discovery = {
        "issuer": "http://127.0.0.1:8080/auth/realms/hoso",
        "authorization_endpoint": "http://127.0.0.1:8080/auth/realms/hoso/protocol/openid-connect/auth",
        "token_endpoint": "http://127.0.0.1:8080/auth/realms/hoso/protocol/openid-connect/token",
        "jwks_uri": "http://127.0.0.1:8080/auth/realms/hoso/protocol/openid-connect/certs",
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=discovery))
    settings = Settings(oidc_backchannel_url="http://keycloak:8080")
    client = OidcClient(settings, httpx.AsyncClient(transport=transport))
    metadata = asyncio.run(client.metadata())
    assert metadata["token_endpoint"].startswith("http://keycloak:8080/auth/realms/hoso/")
    assert metadata["jwks_uri"].startswith("http://keycloak:8080/auth/realms/hoso/")
    # the browser still goes to the public address, and tokens keep the public issuer
    assert metadata["authorization_endpoint"].startswith("http://127.0.0.1:8080/")
    assert metadata["issuer"] == discovery["issuer"]
