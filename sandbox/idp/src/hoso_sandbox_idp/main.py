"""Sandbox OIDC identity provider: stands in for the national SSO in local runs and tests."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hoso_common.errors import NotFound, install_error_handlers


class IdpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_IDP_", extra="ignore")

    issuer: str = "http://127.0.0.1:8090"
    audience: str = "hoso"
    key_file: str | None = Field(
        default=None, description="PEM file that keeps the signing key across restarts."
    )
    token_ttl_s: int = 3600


class User(BaseModel):
    sub: str
    name: str
    roles: list[str]
    citizen_id: str | None = None
    agency: str | None = None


# Demo accounts for people trying the portal by hand; tests mint their own random users.
DEMO_USERS: dict[str, User] = {
    u.sub: u
    for u in (
        User(sub="citizen-an", name="Nguyễn Văn An", roles=["citizen"], citizen_id="001203004567"),
        User(
            sub="citizen-binh", name="Trần Thị Bình", roles=["citizen"], citizen_id="079198001234"
        ),
        User(sub="officer-tuphap-hn", name="Lê Minh Cường", roles=["officer"], agency="STP-HNI"),
        User(sub="officer-congan-hn", name="Phạm Quốc Dũng", roles=["officer"], agency="CA-HNI"),
        User(sub="officer-ubnd-hn", name="Đỗ Thu Hà", roles=["officer"], agency="UBND-HNI"),
        User(sub="admin", name="Quản trị hệ thống", roles=["admin"]),
    )
}


class TokenRequest(BaseModel):
    """Either a demo username, or a whole user for tests."""

    username: str | None = None
    user: User | None = None
    audience: str | None = Field(default=None, description="Override `aud` (tests only).")
    ttl_s: int | None = Field(default=None, description="Override lifetime; negative = expired.")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret
    expires_in: int


def _load_key(path: str | None) -> rsa.RSAPrivateKey:
    if path and Path(path).exists():
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return key


def create_app(settings: IdpSettings | None = None) -> FastAPI:
    settings = settings or IdpSettings()
    key = _load_key(settings.key_file)
    public_numbers = key.public_key().public_numbers()
    kid = uuid.uuid5(uuid.NAMESPACE_URL, str(public_numbers.n)).hex[:16]
    jwk: dict[str, Any] = {
        **jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True),
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
    }

    app = FastAPI(title="hoso sandbox IdP", description="Stand-in for the national SSO.")
    install_error_handlers(app)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        """The IdP is running."""
        return {"status": "ok"}

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        """OIDC discovery document."""
        return {
            "issuer": settings.issuer,
            "jwks_uri": f"{settings.issuer}/jwks.json",
            "token_endpoint": f"{settings.issuer}/token",
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    @app.get("/jwks.json")
    async def jwks() -> dict[str, Any]:
        """Public keys that verify the tokens."""
        return {"keys": [jwk]}

    @app.get("/users")
    async def users() -> list[User]:
        """Demo accounts."""
        return list(DEMO_USERS.values())

    @app.post("/token")
    async def token(request: TokenRequest) -> TokenResponse:
        """Issue an RS256 access token for a demo account or a test user."""
        user = request.user or DEMO_USERS.get(request.username or "")
        if user is None:
            raise NotFound("Tài khoản không tồn tại.")
        ttl = request.ttl_s if request.ttl_s is not None else settings.token_ttl_s
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": settings.issuer,
            "aud": request.audience or settings.audience,
            "sub": user.sub,
            "iat": now,
            "nbf": now - 5 if ttl > 0 else now + ttl - 60,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "name": user.name,
            "roles": user.roles,
        }
        if ttl <= 0:
            claims["iat"] = now + ttl - 60
        if user.citizen_id:
            claims["citizen_id"] = user.citizen_id
        if user.agency:
            claims["agency"] = user.agency
        encoded = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        return TokenResponse(access_token=encoded, expires_in=ttl)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        """A page listing the demo accounts."""
        rows = "".join(
            f"<li><code>{u.sub}</code> — {u.name} ({', '.join(u.roles)})</li>"
            for u in DEMO_USERS.values()
        )
        return (
            "<!doctype html><meta charset=utf-8><title>Đăng nhập thử nghiệm</title>"
            "<h1>Cổng đăng nhập thử nghiệm (sandbox)</h1>"
            '<p>POST /token với {"username": "citizen-an"} để lấy mã truy cập.</p>'
            f"<ul>{rows}</ul>"
        )

    return app
