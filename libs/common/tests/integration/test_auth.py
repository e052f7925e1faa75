"""Keycloak's tokens are verified against its JWKS; bad tokens get 401; keys rotate live.

Every valid token comes from Keycloak. The bad ones are crafted here: some are signed with a
key this module registers in the realm (so that the signature checks out and only the one
wrong claim can be why the token is refused), others come from a second realm made for the
test, or are not signed with RS256 at all.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from hoso_common.auth import CitizenUser, OfficerUser, TokenVerifier
from hoso_common.errors import install_error_handlers
from hoso_common.settings import AuthSettings
from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient
from hoso_testing.server import serve_app

pytestmark = pytest.mark.integration

KEY_PROVIDER = "org.keycloak.keys.KeyProvider"


@dataclass
class Api:
    url: str
    verifier: TokenVerifier


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    app = FastAPI()
    verifier = TokenVerifier(AuthSettings())
    app.state.token_verifier = verifier
    install_error_handlers(app)

    @app.get("/me")
    async def me(user: CitizenUser) -> dict[str, str | None]:
        return {"sub": user.sub, "citizen_id": user.citizen_id, "name": user.name}

    @app.get("/inbox")
    async def inbox(user: OfficerUser) -> dict[str, str | None]:
        return {"agency": user.agency}

    async with serve_app(app) as url:
        yield Api(url, verifier)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def header_of(token: str) -> dict[str, Any]:
    return dict(jwt.get_unverified_header(token))


async def add_key_provider(idp: IdpClient, name: str, config: dict[str, list[str]]) -> str:
    """Adds a key provider component to the realm; returns its id."""
    realm = (await idp.admin_api("GET", f"/{idp.realm}")).json()
    response = await idp.admin_api(
        "POST",
        f"/{idp.realm}/components",
        json={
            "name": name,
            "providerId": config.pop("providerId")[0],
            "providerType": KEY_PROVIDER,
            "parentId": realm["id"],
            "config": {"enabled": ["true"], "active": ["true"], "algorithm": ["RS256"], **config},
        },
    )
    return response.headers["location"].rsplit("/", 1)[-1]


async def kid_of(idp: IdpClient, provider_id: str) -> str:
    keys = (await idp.admin_api("GET", f"/{idp.realm}/keys")).json()["keys"]
    return str(next(k["kid"] for k in keys if k.get("providerId") == provider_id))


@dataclass
class CraftingKey:
    """A private key the realm publishes (lowest priority, so Keycloak never signs with it)."""

    key: rsa.RSAPrivateKey
    kid: str

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="module")
async def crafting_key(idp: IdpClient) -> AsyncIterator[CraftingKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    provider = await add_key_provider(
        idp,
        f"tests-crafting-{uuid.uuid4().hex[:8]}",
        {"providerId": ["rsa"], "priority": ["1"], "privateKey": [pem], "keyUse": ["sig"]},
    )
    try:
        yield CraftingKey(key, await kid_of(idp, provider))
    finally:
        await idp.admin_api("DELETE", f"/{idp.realm}/components/{provider}")


@pytest.fixture(scope="module")
async def other_realm_token(idp: IdpClient) -> AsyncIterator[str]:
    """A citizen's token from a second realm that looks like ours: same roles, same audience."""
    name = f"hoso-other-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    await idp.admin_api(
        "POST",
        "",
        json={
            "realm": name,
            "enabled": True,
            "roles": {"realm": [{"name": "citizen"}]},
            "clients": [
                {
                    "clientId": "hoso-tests",
                    "publicClient": True,
                    "standardFlowEnabled": False,
                    "directAccessGrantsEnabled": True,
                    "protocolMappers": [
                        {
                            "name": "audience hoso",
                            "protocol": "openid-connect",
                            "protocolMapper": "oidc-audience-mapper",
                            "config": {
                                "included.custom.audience": "hoso",
                                "access.token.claim": "true",
                            },
                        }
                    ],
                }
            ],
            "users": [
                {
                    "username": "citizen",
                    "enabled": True,
                    "firstName": "Người Ngoài",
                    "lastName": "Realm",
                    "email": "citizen@other.example",
                    "emailVerified": True,
                    "realmRoles": ["citizen"],
                    "credentials": [{"type": "password", "value": password}],
                }
            ],
        },
    )
    try:
        yield await idp.login("citizen", password, realm=name)
    finally:
        await idp.admin_api("DELETE", f"/{name}")


async def get(api: Api, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(f"{api.url}{path}", headers=headers)


async def test_a_keycloak_token_is_accepted(api: Api, idp: IdpClient) -> None:
    citizen = await idp.citizen("Nguyễn Văn Hợp Lệ")
    response = await get(api, "/me", citizen.token)
    assert response.status_code == 200
    assert response.json() == {
        "sub": citizen.sub,
        "citizen_id": citizen.citizen_id,
        "name": "Nguyễn Văn Hợp Lệ",
    }
    claims = claims_of(citizen.token)
    assert claims["iss"] == AuthSettings().oidc_issuer
    assert "hoso" in ([claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"])


async def test_roles_and_agency_come_from_the_token(api: Api, idp: IdpClient) -> None:
    officer = await idp.officer("STP-HNI")
    citizen = await idp.citizen()
    assert (await get(api, "/inbox", officer.token)).json() == {"agency": "STP-HNI"}
    assert (await get(api, "/inbox", citizen.token)).status_code == 403
    assert (await get(api, "/me", officer.token)).status_code == 403


async def test_a_token_crafted_right_is_accepted(
    api: Api, idp: IdpClient, crafting_key: CraftingKey
) -> None:
    """The control for the crafted bad tokens: with nothing wrong, the crafted one passes."""
    citizen = await idp.citizen()
    claims = {**claims_of(citizen.token), "iat": int(time.time()), "exp": int(time.time()) + 60}
    response = await get(api, "/me", crafting_key.sign(claims))
    assert response.status_code == 200, response.text


BAD_CASES = [
    "expired",
    "wrong_issuer",
    "wrong_audience",
    "alg_none",
    "hs256_with_public_key",
    "other_realm",
    "tampered",
    "unknown_key",
    "missing",
    "garbage",
]


@pytest.mark.parametrize("case", BAD_CASES)
async def test_bad_tokens_are_rejected_with_401(
    api: Api,
    idp: IdpClient,
    endpoints: Endpoints,
    crafting_key: CraftingKey,
    other_realm_token: str,
    case: str,
) -> None:
    citizen = await idp.citizen()
    now = int(time.time())
    claims = {**claims_of(citizen.token), "iat": now, "exp": now + 60}
    token: str | None
    if case == "expired":
        token = crafting_key.sign({**claims, "iat": now - 900, "exp": now - 600})
    elif case == "wrong_issuer":
        token = crafting_key.sign({**claims, "iss": claims["iss"].replace("/hoso", "/other")})
    elif case == "wrong_audience":
        token = crafting_key.sign({**claims, "aud": "another-system"})
    elif case == "alg_none":
        header = {"alg": "none", "typ": "JWT", "kid": header_of(citizen.token)["kid"]}
        token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."
    elif case == "hs256_with_public_key":
        # The classic confusion: the realm's public key used as an HMAC secret.
        kid = header_of(citizen.token)["kid"]
        jwks = (await idp.http().get(f"{idp.realm_url}/protocol/openid-connect/certs")).json()
        public = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid)).key
        secret = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = {"alg": "HS256", "typ": "JWT", "kid": kid}
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{b64(signature)}"
    elif case == "other_realm":
        token = other_realm_token
    elif case == "tampered":
        header64, _payload, signature = citizen.token.split(".")
        forged = {**claims_of(citizen.token), "citizen_id": "001099000001"}
        token = ".".join((header64, b64(json.dumps(forged).encode()), signature))
    elif case == "unknown_key":
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "not-ours"})
    elif case == "garbage":
        token = "not-a-jwt"
    else:
        token = None
    response = await get(api, "/me", token)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    # the same token is refused by a running service behind the gateway too
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        through_gateway = await client.get("/api/documents/v1/documents", headers=headers)
    assert through_gateway.status_code == 401, through_gateway.text


async def test_a_realm_key_rotation_needs_no_restart(
    api: Api, idp: IdpClient, endpoints: Endpoints
) -> None:
    """A new realm key signs the next tokens; the verifier fetches it on the unknown kid."""
    before = await idp.citizen()
    assert (await get(api, "/me", before.token)).status_code == 200
    fetched_at = time.monotonic()  # the verifier has just fetched the JWKS
    provider = await add_key_provider(
        idp,
        f"tests-rotated-{uuid.uuid4().hex[:8]}",
        {"providerId": ["rsa-generated"], "priority": [str(10_000 + int(time.time()))]},
    )
    try:
        after = await idp.citizen()
        old_kid, new_kid = header_of(before.token)["kid"], header_of(after.token)["kid"]
        assert new_kid != old_kid
        assert new_kid not in api.verifier.jwks._keys
        # an unknown kid refreshes at most once per min_refresh_s
        await asyncio.sleep(
            max(0.0, api.verifier.jwks.min_refresh_s + 0.5 - (time.monotonic() - fetched_at))
        )
        response = await get(api, "/me", after.token)
        assert response.status_code == 200, response.text
        assert new_kid in api.verifier.jwks._keys
        assert (await get(api, "/me", before.token)).status_code == 200
        # a running service (started before the rotation) takes the new key as well
        async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=30) as client:
            listed = await client.get("/api/documents/v1/documents", headers=after.headers)
        assert listed.status_code == 200, listed.text
    finally:
        await idp.admin_api("DELETE", f"/{idp.realm}/components/{provider}")


async def test_demo_users_can_log_in(idp: IdpClient) -> None:
    """The demo accounts of the realm file exist with their documented password."""
    token = await idp.login("citizen-an", "hoso-demo")
    claims = claims_of(token)
    assert claims["citizen_id"] == "001203004567"
    assert claims["name"] == "Nguyễn Văn An"
    assert "citizen" in claims["roles"]
    officer = claims_of(await idp.login("officer-tuphap-hn", "hoso-demo"))
    assert officer["agency"] == "STP-HNI"
    assert "officer" in officer["roles"]
