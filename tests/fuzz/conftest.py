"""Fixtures of `make fuzz`: the two callers, a citizen and an officer."""

from __future__ import annotations

import asyncio
import os

import pytest

from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient

# An agency of the seeded catalogue, so officer calls reach real inboxes.
OFFICER_AGENCY = "STP-HNI"


@pytest.fixture(scope="session")
def callers(endpoints: Endpoints) -> dict[str, dict[str, str]]:
    """Authorization headers of a citizen and an officer, from the IdP as the tests get them."""

    async def fetch() -> dict[str, dict[str, str]]:
        idp = IdpClient(
            endpoints.keycloak_url,
            admin_user=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN", "admin"),
            admin_password=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN_PASSWORD", "hoso-local-admin"),
        )
        try:
            citizen, officer = await idp.citizen(), await idp.officer(OFFICER_AGENCY)
        finally:
            await idp.aclose()
        return {"citizen": citizen.headers, "officer": officer.headers}

    return asyncio.run(fetch())
