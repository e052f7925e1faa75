"""Test identities: random citizens and officers with tokens from the sandbox IdP."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


def random_citizen_id() -> str:
    """A well-formed 12-digit personal id: province code, century+sex, birth year, serial."""
    pick = random.SystemRandom()
    province = pick.choice(["001", "079", "031", "048", "092"])
    century_sex = pick.choice("0123")
    return f"{province}{century_sex}{pick.randint(0, 99):02d}{pick.randint(0, 999999):06d}"


@dataclass
class TestUser:
    __test__ = False  # a fixture value, not a pytest test class
    sub: str
    name: str
    roles: list[str]
    citizen_id: str | None = None
    agency: str | None = None
    token: str = field(default="", repr=False)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def as_claims(self) -> dict[str, Any]:
        data: dict[str, Any] = {"sub": self.sub, "name": self.name, "roles": self.roles}
        if self.citizen_id:
            data["citizen_id"] = self.citizen_id
        if self.agency:
            data["agency"] = self.agency
        return data


class IdpClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def token(self, user: TestUser, **overrides: Any) -> str:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                f"{self.base_url}/token", json={"user": user.as_claims(), **overrides}
            )
            response.raise_for_status()
            return str(response.json()["access_token"])

    async def citizen(self, name: str = "Nguyễn Thị Kiểm Thử") -> TestUser:
        user = TestUser(
            sub=f"citizen-{uuid.uuid4().hex[:12]}",
            name=name,
            roles=["citizen"],
            citizen_id=random_citizen_id(),
        )
        user.token = await self.token(user)
        return user

    async def officer(self, agency: str, name: str = "Cán Bộ Kiểm Thử") -> TestUser:
        user = TestUser(
            sub=f"officer-{uuid.uuid4().hex[:12]}", name=name, roles=["officer"], agency=agency
        )
        user.token = await self.token(user)
        return user

    async def admin(self) -> TestUser:
        user = TestUser(sub=f"admin-{uuid.uuid4().hex[:8]}", name="Quản Trị", roles=["admin"])
        user.token = await self.token(user)
        return user
