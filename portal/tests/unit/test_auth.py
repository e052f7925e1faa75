"""Login, session fixation, open redirects, refresh, expiry and logout, with a fake IdP."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from hoso_portal.security import safe_next
from hoso_portal.sessions import utcnow

from .conftest import PortalHarness


def test_login_sends_pkce_s256_and_binds_the_state_to_the_browser(
    harness: PortalHarness,
) -> None:
    started = harness.client.get("/login", params={"next": "/ho-so-dien-tu"})
    assert started.status_code == 303
    assert started.headers["location"].startswith("http://idp.test/auth?")
    cookie = started.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    sent = harness.idp.requests[0]
    assert sent["state"] == state

    harness.client.get("/login/callback", params={"code": "c", "state": state})
    verifier = harness.idp.exchanged[0]["verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert sent["challenge"] == challenge.decode().rstrip("=")
    assert harness.idp.exchanged[0]["nonce"] == sent["nonce"]


def test_callback_with_another_state_is_refused(harness: PortalHarness) -> None:
    harness.client.get("/login")
    refused = harness.client.get("/login/callback", params={"code": "c", "state": "forged"})
    assert refused.status_code == 400
    assert "Đăng nhập không thành công" in refused.text
    assert harness.store.sessions == {}
    assert harness.idp.exchanged == []


def test_callback_from_another_browser_is_refused(harness: PortalHarness) -> None:
    started = harness.client.get("/login")
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    harness.client.cookies.clear()  # the victim's browser has no pending login
    refused = harness.client.get("/login/callback", params={"code": "c", "state": state})
    assert refused.status_code == 400
    assert harness.store.sessions == {}


def test_login_gives_a_new_session_id_and_drops_a_planted_one(harness: PortalHarness) -> None:
    harness.login(code="first")
    planted = harness.session_cookie
    assert planted
    harness.login(code="second")
    fresh = harness.session_cookie
    assert fresh and fresh != planted
    assert len(harness.store.sessions) == 1  # the earlier session is gone, not promoted
    harness.client.cookies.set(harness.settings.cookie_name, planted, domain="127.0.0.1")
    assert harness.client.get("/ho-so-dien-tu").status_code == 303


def test_a_made_up_session_id_is_never_accepted(harness: PortalHarness) -> None:
    harness.client.cookies.set(harness.settings.cookie_name, "attacker-chosen", domain="127.0.0.1")
    response = harness.client.get("/ho-so-dien-tu")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/ho-so-dien-tu"
    harness.login()
    assert harness.session_cookie != "attacker-chosen"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "\t//evil.example",
    ],
)
def test_open_redirects_after_login_are_refused(harness: PortalHarness, target: str) -> None:
    assert harness.login(next_url=target) == "/"


def test_login_returns_to_the_page_the_user_was_on(harness: PortalHarness) -> None:
    response = harness.client.get("/ho-so-dien-tu", params={"trang": "2"})
    assert response.status_code == 303
    target = response.headers["location"]
    assert target == "/login?next=/ho-so-dien-tu%3Ftrang%3D2"
    next_url = parse_qs(urlsplit(target).query)["next"][0]
    assert harness.login(next_url=next_url) == "/ho-so-dien-tu?trang=2"


def test_safe_next_keeps_local_paths_only() -> None:
    assert safe_next("/ho-so-dien-tu?trang=2") == "/ho-so-dien-tu?trang=2"
    assert safe_next(None) == "/"
    assert safe_next("//x") == "/"
    assert safe_next("https://x") == "/"
    assert safe_next("x") == "/"


def test_an_expired_access_token_is_refreshed_on_the_server(harness: PortalHarness) -> None:
    harness.login()
    session = next(iter(harness.store.sessions.values()))
    session.access_expires_at = utcnow() - timedelta(seconds=1)
    page = harness.client.get("/ho-so-dien-tu")
    assert page.status_code == 200
    assert harness.documents.tokens[-1] == "access-refreshed-1"
    stored = next(iter(harness.store.sessions.values()))
    assert stored.refresh_token == "refresh-code1-next"
    assert "access-" not in page.text and "refresh-" not in page.text


def test_a_refused_refresh_sends_the_user_to_log_in_again(harness: PortalHarness) -> None:
    harness.login()
    next(iter(harness.store.sessions.values())).access_expires_at = utcnow()
    harness.idp.refresh_ok = False
    response = harness.client.get("/ho-so-dien-tu/tai-len")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/ho-so-dien-tu/tai-len"
    assert harness.store.sessions == {}


def test_htmx_requests_are_sent_to_log_in_by_header(harness: PortalHarness) -> None:
    response = harness.client.get(
        "/ho-so-dien-tu/abc/ky-so",
        headers={"HX-Request": "true", "Referer": "http://127.0.0.1:8080/ho-so-dien-tu/abc/ky-so"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/ho-so-dien-tu/abc/ky-so"


def test_logout_ends_both_sessions(harness: PortalHarness) -> None:
    harness.login()
    csrf = harness.csrf()
    response = harness.client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "http://idp.test/logout?id_token_hint=id-code1"
    assert harness.store.sessions == {}
    assert harness.session_cookie is None


def test_logout_without_the_csrf_token_is_refused(harness: PortalHarness) -> None:
    harness.login()
    response = harness.client.post("/logout", data={})
    assert response.status_code == 403
    assert len(harness.store.sessions) == 1
