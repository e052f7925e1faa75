"""Test identities from Keycloak: fresh random citizens, officers and admins.

Users are created through Keycloak's admin REST API (with the master realm's administrator)
and log in through the `hoso-tests` client's direct-access grant, which exists in the local
stack's realm only. Valid tokens come from Keycloak and nowhere else; tests that need invalid
tokens craft them themselves.
"""

from __future__ import annotations

import html
import random
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import jwt

REALM = "hoso"
TEST_CLIENT = "hoso-tests"
ROLE_GROUPS = {"citizen": "/citizens", "officer": "/officers", "admin": "/admins"}


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
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    @property
    def email(self) -> str:
        """The address the realm holds for the user (Mailpit receives what is sent to it)."""
        return f"{self.username}@example.vn"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class IdpClient:
    """Keycloak as the tests see it: `base_url` is its root (for example .../auth)."""

    def __init__(
        self,
        base_url: str,
        admin_user: str = "admin",
        admin_password: str = "hoso-local-admin",  # noqa: S107 - the local stack's placeholder
        realm: str = REALM,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.realm = realm
        self._admin_user = admin_user
        self._admin_password = admin_password
        self._admin_token = ""
        self._admin_expires = 0.0
        self._client: httpx.AsyncClient | None = None

    @property
    def realm_url(self) -> str:
        return f"{self.base_url}/realms/{self.realm}"

    def http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            # generous: creating a realm takes Keycloak a while on a busy machine
            self._client = httpx.AsyncClient(timeout=180)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def admin_headers(self) -> dict[str, str]:
        """The master administrator's token, reused until shortly before it expires."""
        if time.monotonic() > self._admin_expires:
            response = await self.http().post(
                f"{self.base_url}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": self._admin_user,
                    "password": self._admin_password,
                },
            )
            response.raise_for_status()
            body = response.json()
            self._admin_token = str(body["access_token"])
            self._admin_expires = time.monotonic() + float(body["expires_in"]) - 15
        return {"Authorization": f"Bearer {self._admin_token}"}

    async def admin(self, name: str = "Quản Trị Kiểm Thử") -> TestUser:
        return await self.create_user("admin", name)

    async def admin_api(self, method: str, path: str, *, json: Any = None) -> httpx.Response:
        """A call to the admin REST API; `path` follows /admin/realms (e.g. /hoso/users)."""
        response = await self.http().request(
            method,
            f"{self.base_url}/admin/realms{path}",
            json=json,
            headers=await self.admin_headers(),
        )
        response.raise_for_status()
        return response

    async def login(self, username: str, password: str, *, realm: str | None = None) -> str:
        """An access token through the tests client's direct-access grant."""
        response = await self.http().post(
            f"{self.base_url}/realms/{realm or self.realm}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": TEST_CLIENT,
                "username": username,
                "password": password,
            },
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def create_user(
        self,
        role: str,
        name: str,
        *,
        citizen_id: str | None = None,
        agency: str | None = None,
    ) -> TestUser:
        """A new enabled user with a random password, in the group that grants `role`."""
        username = f"test-{role}-{uuid.uuid4().hex[:12]}"
        password = secrets.token_urlsafe(18)
        attributes: dict[str, list[str]] = {}
        if citizen_id:
            attributes["citizen_id"] = [citizen_id]
        if agency:
            attributes["agency"] = [agency]
        await self.admin_api(
            "POST",
            f"/{self.realm}/users",
            json={
                "username": username,
                "enabled": True,
                "firstName": name,
                # every test user has a mailbox: the notifications service writes to it
                "email": f"{username}@example.vn",
                "emailVerified": True,
                "attributes": attributes,
                "groups": [ROLE_GROUPS[role]],
                "credentials": [{"type": "password", "value": password, "temporary": False}],
                "requiredActions": [],
            },
        )
        token = await self.login(username, password)
        claims = jwt.decode(token, options={"verify_signature": False})
        return TestUser(
            sub=str(claims["sub"]),
            name=name,
            roles=[role],
            citizen_id=citizen_id,
            agency=agency,
            username=username,
            password=password,
            token=token,
        )

    async def citizen(
        self, name: str = "Nguyễn Thị Kiểm Thử", *, citizen_id: str | None = None
    ) -> TestUser:
        return await self.create_user("citizen", name, citizen_id=citizen_id or random_citizen_id())

    async def officer(
        self, agency: str, name: str = "Cán Bộ Kiểm Thử", *, citizen_id: str | None = None
    ) -> TestUser:
        """An officer of `agency`; with a personal id, one who can sign (the CA's user id)."""
        return await self.create_user("officer", name, agency=agency, citizen_id=citizen_id)


def browser(**options: Any) -> httpx.AsyncClient:
    """A client that keeps cookies like a browser on the local stack's http://127.0.0.1.

    Browsers count http://127.0.0.1 as a secure context and send Keycloak's `Secure`
    cookies to it; httpx does not, so the cookies are stored again without the flag.
    """
    client = httpx.AsyncClient(timeout=60, **options)

    async def keep(response: httpx.Response) -> None:
        for cookie in response.cookies.jar:
            client.cookies.set(cookie.name, cookie.value or "", cookie.domain, cookie.path)

    client.event_hooks["response"] = [keep]
    return client


async def log_in_on_phone(
    client: httpx.AsyncClient, phone_url: str, user: TestUser
) -> tuple[httpx.Response, str]:
    """Log `user` in on the sandbox CA's phone page as a person does.

    Returns the CA's answer to the IdP's callback and the page it leads to.

    The page sends the browser to Keycloak's login form, the form is filled in, and
    Keycloak's answer (to the realm's registered callback) is delivered to `phone_url`'s
    callback: the same code and state, whichever address this CA is served at.
    """
    start = await client.get(phone_url)
    assert start.status_code == 303, start.text[:500]
    to_login = urljoin(phone_url, start.headers["location"])
    idp = await client.get(to_login)
    assert idp.status_code == 303, idp.text[:500]
    form = await client.get(idp.headers["location"])
    assert form.status_code == 200, form.text[:500]
    answer = await client.post(
        form_action(form.text), data={"username": user.username, "password": user.password}
    )
    assert answer.status_code == 302, answer.text[:2000]
    back = urlsplit(answer.headers["location"])
    assert back.path.endswith("/phone/callback"), answer.headers["location"]
    landed = await client.get(f"{phone_url}/callback?{back.query}")
    assert landed.status_code == 303, landed.text[:500]
    page = await client.get(urljoin(f"{phone_url}/callback", landed.headers["location"]))
    return landed, page.text


def form_action(page: str) -> str:
    """The action of the first form of an HTML page (Keycloak's login form)."""
    found = re.search(r'<form[^>]*\baction="([^"]+)"', page)
    assert found, f"no form in the page: {page[:500]}"
    return html.unescape(found.group(1))
