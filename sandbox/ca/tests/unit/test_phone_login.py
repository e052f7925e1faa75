"""The phone page's login rules that need no IdP: PKCE, state binding, logout URL."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from hoso_common.auth import TokenVerifier
from hoso_sandbox_ca.config import Settings
from hoso_sandbox_ca.phone_login import PhoneLogin, PhoneLoginFailed, pkce_pair


def make_login() -> PhoneLogin:
    settings = Settings()
    return PhoneLogin(settings, TokenVerifier(settings))


def test_pkce_challenge_is_the_s256_of_the_verifier() -> None:
    verifier, challenge = pkce_pair()
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert 43 <= len(verifier) <= 128


async def test_authorization_url_asks_for_code_with_pkce_at_the_issuer() -> None:
    login = make_login()
    login_id, url = login.start()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert url.startswith(f"{login.settings.oidc_issuer}/protocol/openid-connect/auth?")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["sandbox-ca-phone"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8080/ca/phone/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0] and login_id not in url
    await login.aclose()


@pytest.mark.parametrize("which", ["unknown login", "wrong state", "no state"])
async def test_a_callback_this_browser_did_not_start_fails_before_any_exchange(
    which: str,
) -> None:
    login = make_login()
    login_id, url = login.start()
    state = parse_qs(urlsplit(url).query)["state"][0]
    given = {
        "unknown login": ("another-login", state),
        "wrong state": (login_id, state + "x"),
        "no state": (login_id, None),
    }[which]
    with pytest.raises(PhoneLoginFailed) as failed:
        await login.finish(given[0], given[1], "code")
    assert failed.value.reason == "stale"
    if given[0] == login_id:
        # A pending login is used up by its first callback, right or wrong.
        with pytest.raises(PhoneLoginFailed) as again:
            await login.finish(login_id, state, "code")
        assert again.value.reason == "stale"
    await login.aclose()


async def test_logout_without_a_session_still_ends_the_idp_session() -> None:
    login = make_login()
    assert await login.citizen("no-such-session") is None
    query = parse_qs(urlsplit(login.end("no-such-session")).query)
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:8080/ca/phone"]
    assert "id_token_hint" not in query
    await login.aclose()
