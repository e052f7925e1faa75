"""Settings of the citizen portal (env prefix HOSO_PORTAL_)."""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from hoso_common.settings import KafkaSettings, MongoSettings

DEFAULT_ASSETS = Path.home() / ".cache" / "hoso" / "portal-assets" / "node_modules"


class Settings(MongoSettings, KafkaSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_PORTAL_", extra="ignore")

    service_name: str = "portal"
    mongo_database: str = "hoso_portal"
    public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Where citizens reach the portal; the OIDC redirect URIs are built from it.",
    )
    oidc_discovery_url: str = Field(
        default="http://127.0.0.1:8080/auth/realms/hoso/.well-known/openid-configuration",
        description="The IdP's OpenID Connect discovery document.",
    )
    oidc_backchannel_url: str = Field(
        default="",
        description="The IdP's in-cluster origin for the portal's token and key requests; "
        "empty: the addresses the discovery document gives.",
    )
    oidc_client_id: str = "portal"
    oidc_client_secret: SecretStr = Field(
        default=SecretStr("change-me"), description="The portal's confidential client secret."
    )
    oidc_scope: str = "openid profile"
    documents_url: str = Field(default="http://127.0.0.1:8080/api/documents")
    signing_url: str = Field(default="http://127.0.0.1:8080/api/signing")
    eforms_url: str = Field(default="http://127.0.0.1:8080/api/eforms")
    submission_url: str = Field(default="http://127.0.0.1:8080/api/submission")
    notifications_url: str = Field(default="http://127.0.0.1:8080/api/notifications")
    api_timeout_s: float = Field(default=30, gt=0)
    upload_timeout_s: float = Field(default=600, gt=0)
    max_upload_bytes: int = Field(
        default=20 * 1024**2, ge=1, description="The vault's size limit, shown on the form."
    )
    session_ttl_s: float = Field(
        default=8 * 3600, gt=0, description="A session ends this long after login at the latest."
    )
    login_ttl_s: float = Field(default=600, gt=0, description="Time to finish a login at the IdP.")
    cookie_name: str = "hoso_session"
    page_size: int = Field(default=10, ge=1, le=100)
    assets_dir: Path = Field(
        default=DEFAULT_ASSETS,
        description="node_modules installed by stack/install.sh (htmx.org); not committed.",
    )

    replica_id: str = Field(
        default_factory=socket.gethostname,
        description="This replica's name (the pod's in Kubernetes); names its live group.",
    )
    live_group_prefix: str = Field(
        default="hoso-portal-live-",
        description="Each replica's own group (prefix + replica id) that pushes the "
        "notifications service's announcements to open pages.",
    )
    live_heartbeat_s: float = Field(
        default=15, gt=0, description="A comment line this often keeps idle streams open."
    )
    session_purge_interval_s: float = Field(
        default=0,
        ge=0,
        description="Delete expired sessions this often; 0 leaves it to MongoDB's TTL index.",
    )

    @model_validator(mode="after")
    def _refuse_local_addresses_in_production(self) -> Settings:
        # The local stack's addresses are the defaults: production must name its own, and
        # serve citizens over https only (the cookies are Secure then).
        if self.env == "production":
            if not self.public_url.startswith("https://"):
                raise ValueError("HOSO_PORTAL_PUBLIC_URL must be https in production")
            local = ("://127.0.0.1", "://localhost")
            if any(mark in self.oidc_discovery_url for mark in local):
                raise ValueError("HOSO_PORTAL_OIDC_DISCOVERY_URL must be the real IdP's")
        return self

    @property
    def live_group(self) -> str:
        return self.live_group_prefix + self.replica_id

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {**super().secrets_to_check(), "oidc_client_secret": self.oidc_client_secret}

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/login/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")
