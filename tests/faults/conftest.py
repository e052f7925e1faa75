"""Fault-scenario fixtures: the running local stack, a citizen enrolled at the sandbox CA."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient, TestUser

from .driver import APPROVAL_LIFETIME_S, AUTO_APPROVE_DELAY_S, all_ready


@pytest_asyncio.fixture(scope="session")
async def gateway(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=30) as client:
        assert await all_ready(), "the local stack is not up (run `make up`)"
        yield client


@pytest_asyncio.fixture(scope="session")
async def ca(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox CA, approving every request itself, with a short approval lifetime."""
    async with httpx.AsyncClient(base_url=endpoints.ca_url, timeout=30) as client:
        ttl = (await client.get("/sandbox/request-ttl")).json()["ttl_s"]
        auto = (await client.get("/sandbox/stats")).json().get("auto_approve_delay_s")
        (
            await client.post("/sandbox/request-ttl", json={"ttl_s": APPROVAL_LIFETIME_S})
        ).raise_for_status()
        (
            await client.post("/sandbox/auto-approve", json={"delay_s": AUTO_APPROVE_DELAY_S})
        ).raise_for_status()
        try:
            yield client
        finally:
            await client.post("/sandbox/request-ttl", json={"ttl_s": ttl})
            await client.post("/sandbox/auto-approve", json={"delay_s": auto})


@pytest_asyncio.fixture
async def citizen(idp: IdpClient, ca: httpx.AsyncClient) -> TestUser:
    user = await idp.citizen("Trần Thị Sự Cố")
    response = await ca.post("/sandbox/users", json={"user_id": user.citizen_id, "name": user.name})
    assert response.status_code in (200, 201), response.text
    return user
