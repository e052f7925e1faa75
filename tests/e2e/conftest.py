"""E2E fixtures: the running platform (`make up`) through its gateway, Keycloak and the CA."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.pdfa import verapdf_launcher

from .api_client import enroll

SERVICES = ("documents", "eforms", "signing", "submission", "notifications")
GIVEN_NAMES = ("An", "Bình", "Cường", "Dũng", "Hùng", "Khoa", "Long", "Minh", "Quang", "Sơn")


@pytest_asyncio.fixture(scope="session")
async def gateway(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    """The portal's view of the platform; fails fast, naming what is down."""
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=30) as client:
        down = []
        for service in SERVICES:
            try:
                response = await client.get(f"/api/{service}/health/ready")
                if response.status_code != 200:
                    down.append(f"{service}: {response.status_code}")
            except httpx.HTTPError as error:
                down.append(f"{service}: {error!r}")
        assert not down, f"the platform is not up (run `make up`): {down}"
        yield client


@pytest_asyncio.fixture(scope="session")
async def ca(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox CA: enrolment, and the phone API standing in for the citizen's app."""
    async with httpx.AsyncClient(base_url=endpoints.ca_url, timeout=30) as client:
        yield client


SHORT_REQUEST_TTL_S = 15.0


@pytest_asyncio.fixture
async def short_approval_window(ca: httpx.AsyncClient) -> AsyncIterator[float]:
    """Sign requests opened during the test expire after 15 s instead of the CA's 5 minutes."""
    previous = (await ca.get("/sandbox/request-ttl")).json()["ttl_s"]
    (await ca.post("/sandbox/request-ttl", json={"ttl_s": SHORT_REQUEST_TTL_S})).raise_for_status()
    try:
        yield SHORT_REQUEST_TTL_S
    finally:
        await ca.post("/sandbox/request-ttl", json={"ttl_s": previous})


def citizen_born_1990() -> tuple[str, str]:
    """A personal id whose century/sex digit and year say: a man born in 1990."""
    return f"001090{random.randint(0, 999_999):06d}", "05/09/1990"


@pytest_asyncio.fixture
async def citizen(idp: IdpClient, ca: httpx.AsyncClient) -> TestUser:
    """A new citizen with a consistent personal id, enrolled at the CA for remote signing."""
    citizen_id, _ = citizen_born_1990()
    user = await idp.citizen(f"Nguyễn Văn {random.choice(GIVEN_NAMES)}", citizen_id=citizen_id)
    await enroll(ca, user)
    return user


@pytest_asyncio.fixture
async def officer_of(idp: IdpClient) -> Callable[[str], Awaitable[TestUser]]:
    async def make(agency: str) -> TestUser:
        return await idp.officer(agency, name="Lê Minh Cường")

    return make


@pytest.fixture(scope="session")
def verapdf() -> Path:
    """veraPDF, installed by stack/install.sh."""
    launcher = verapdf_launcher()
    assert launcher.exists(), "veraPDF is missing: run stack/install.sh"
    return launcher
