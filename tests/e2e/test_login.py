"""A person logs in on the Vietnamese login page, as the portal will send them there.

The browser's part is played by an HTTP client that keeps cookies and follows the login
form: the portal client's authorization-code flow with PKCE S256 through the gateway, the
code exchanged with the portal's secret, and the access token used on all four services.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import uuid
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from hoso_testing.endpoints import Endpoints

pytestmark = pytest.mark.e2e

REALM = "/auth/realms/hoso/protocol/openid-connect"
PORTAL = "portal"
PORTAL_SECRET = "portal-local-secret"  # the local realm's documented secret
REDIRECT_URI = "http://127.0.0.1:8080/login/callback"
POST_LOGOUT_URI = "http://127.0.0.1:8080/"


def browser_for(endpoints: Endpoints) -> httpx.AsyncClient:
    """A client that keeps cookies like a browser on the local stack's origin.

    Browsers count http://127.0.0.1 as a secure context and send Keycloak's `Secure`
    cookies to it; httpx does not, so the cookies are stored again without the flag.
    """
    client = httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=60)

    async def keep(response: httpx.Response) -> None:
        for cookie in response.cookies.jar:
            client.cookies.set(cookie.name, cookie.value or "", cookie.domain, cookie.path)

    client.event_hooks["response"] = [keep]
    return client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def form_action(page: str) -> str:
    found = re.search(r'<form[^>]*\baction="([^"]+)"', page)
    assert found, f"no form in the page: {page[:500]}"
    return html.unescape(found.group(1))


def authorize_url(challenge: str, state: str, **extra: str) -> str:
    query = {
        "client_id": PORTAL,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{REALM}/auth?{urlencode(query)}"


async def log_in(browser: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """The authorization-code flow; returns the token response."""
    verifier, challenge = pkce()
    state = uuid.uuid4().hex
    page = await browser.get(authorize_url(challenge, state))
    assert page.status_code == 200, page.text
    assert 'lang="vi"' in page.text
    assert "Đăng nhập" in page.text and "Mật khẩu" in page.text
    answer = await browser.post(
        form_action(page.text), data={"username": username, "password": password}
    )
    assert answer.status_code == 302, answer.text[:2000]
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = parse_qs(urlparse(location).query)
    assert query["state"] == [state]
    tokens = await browser.post(
        f"{REALM}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(PORTAL, PORTAL_SECRET),
    )
    assert tokens.status_code == 200, tokens.text
    return dict(tokens.json())


async def test_a_demo_citizen_logs_in_and_every_service_accepts_the_token(
    endpoints: Endpoints,
) -> None:
    async with browser_for(endpoints) as browser:
        tokens = await log_in(browser, "citizen-an", "hoso-demo")
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        calls = {
            "documents": "/api/documents/v1/documents",
            "eforms": "/api/eforms/v1/forms",
            "submission": "/api/submission/v1/dossiers",
            # someone else's (here: nobody's) request is "not found", once the caller is known
            "signing": f"/api/signing/v1/sign-requests/{uuid.uuid4().hex}",
        }
        for service, path in calls.items():
            anonymous = await browser.get(path)
            assert anonymous.status_code == 401, f"{service}: {anonymous.text}"
            answer = await browser.get(path, headers=bearer)
            expected = 404 if service == "signing" else 200
            assert answer.status_code == expected, f"{service}: {answer.text}"

        # Logging out: without an id_token_hint Keycloak asks first, in Vietnamese.
        ask = {"client_id": PORTAL, "post_logout_redirect_uri": POST_LOGOUT_URI}
        confirm = await browser.get(f"{REALM}/logout?{urlencode(ask)}")
        assert confirm.status_code == 200
        assert "Bạn có muốn đăng xuất không?" in confirm.text
        # with the id token, it logs out at once and returns to the portal
        logout = await browser.get(
            f"{REALM}/logout?"
            + urlencode(
                {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": POST_LOGOUT_URI}
            )
        )
        assert logout.status_code == 302
        assert logout.headers["location"] == POST_LOGOUT_URI
        # the refresh token died with the session
        refreshed = await browser.post(
            f"{REALM}/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(PORTAL, PORTAL_SECRET),
        )
        assert refreshed.status_code == 400


async def test_refresh_tokens_are_single_use(endpoints: Endpoints) -> None:
    async with browser_for(endpoints) as browser:
        tokens = await log_in(browser, "citizen-binh", "hoso-demo")
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        first = await browser.post(f"{REALM}/token", data=refresh, auth=(PORTAL, PORTAL_SECRET))
        assert first.status_code == 200, first.text
        again = await browser.post(f"{REALM}/token", data=refresh, auth=(PORTAL, PORTAL_SECRET))
        assert again.status_code == 400


async def test_login_errors_read_as_vietnamese(endpoints: Endpoints) -> None:
    async with browser_for(endpoints) as browser:
        _, challenge = pkce()
        # an unregistered redirect URI: Keycloak's error page
        bad = await browser.get(
            authorize_url(challenge, "s").replace("login%2Fcallback", "login%2Fcallback-elsewhere")
        )
        assert bad.status_code == 400
        assert "Rất tiếc" in bad.text
        assert "Tham số không hợp lệ: redirect_uri" in bad.text
        # the implicit flow is off for the portal
        implicit = await browser.get(
            authorize_url(challenge, "s").replace("response_type=code", "response_type=token")
        )
        assert "response_type=token" not in implicit.headers.get("location", "")
        assert implicit.status_code in (302, 400)
        # a wrong password (on a fresh name, so no demo account gets locked)
        page = await browser.get(authorize_url(challenge, "s"))
        wrong = await browser.post(
            form_action(page.text),
            data={"username": f"khong-ton-tai-{uuid.uuid4().hex[:6]}", "password": "sai"},
        )
        assert wrong.status_code == 200
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text
        # PKCE is required: no code_challenge, no login page
        plain = await browser.get(authorize_url(challenge, "s").split("&code_challenge=")[0])
        assert plain.status_code in (302, 400)
        if plain.status_code == 302:
            assert "error=invalid_request" in plain.headers["location"]
