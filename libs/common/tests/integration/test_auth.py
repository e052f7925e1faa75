"""Tokens of the sandbox IdP are verified against its JWKS; bad tokens get 401."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from hoso_common.auth import CitizenUser, OfficerUser, TokenVerifier
from hoso_common.errors import install_error_handlers
from hoso_common.settings import AuthSettings
from hoso_common.testing.identity import IdpClient
from hoso_common.testing.server import serve_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(idp: IdpClient) -> AsyncIterator[str]:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(AuthSettings())
    install_error_handlers(app)

    @app.get("/me")
    async def me(user: CitizenUser) -> dict[str, str | None]:
        return {"sub": user.sub, "citizen_id": user.citizen_id, "name": user.name}

    @app.get("/inbox")
    async def inbox(user: OfficerUser) -> dict[str, str | None]:
        return {"agency": user.agency}

    async with serve_app(app) as url:
        yield url


async def test_a_sandbox_token_is_accepted(api: str, idp: IdpClient) -> None:
    citizen = await idp.citizen("Nguyễn Văn Hợp Lệ")
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{api}/me", headers=citizen.headers)
    assert response.status_code == 200
    assert response.json() == {
        "sub": citizen.sub,
        "citizen_id": citizen.citizen_id,
        "name": "Nguyễn Văn Hợp Lệ",
    }


async def test_roles_and_agency_come_from_the_token(api: str, idp: IdpClient) -> None:
    officer = await idp.officer("STP-HNI")
    citizen = await idp.citizen()
    async with httpx.AsyncClient() as client:
        as_officer = await client.get(f"{api}/inbox", headers=officer.headers)
        citizen_in_inbox = await client.get(f"{api}/inbox", headers=citizen.headers)
        officer_as_citizen = await client.get(f"{api}/me", headers=officer.headers)
    assert as_officer.json() == {"agency": "STP-HNI"}
    assert citizen_in_inbox.status_code == 403
    assert officer_as_citizen.status_code == 403


@pytest.mark.parametrize("case", ["expired", "wrong_audience", "tampered", "missing", "garbage"])
async def test_bad_tokens_are_rejected_with_401(api: str, idp: IdpClient, case: str) -> None:
    citizen = await idp.citizen()
    if case == "expired":
        token = await idp.token(citizen, ttl_s=-300)
    elif case == "wrong_audience":
        token = await idp.token(citizen, audience="another-system")
    elif case == "tampered":
        header, payload, signature = citizen.token.split(".")
        flipped = "A" if payload[5] != "A" else "B"
        token = ".".join((header, payload[:5] + flipped + payload[6:], signature))
    elif case == "garbage":
        token = "not-a-jwt"
    else:
        token = ""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{api}/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
