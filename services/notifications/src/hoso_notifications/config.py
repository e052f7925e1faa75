"""Settings of the notifications service (env prefix HOSO_NOTIFICATIONS_)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from hoso_common.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    mongo_database: str = "hoso_notifications"
    consumer_group: str = Field(
        default="notifications", description="Kafka consumer group of the event subscribers."
    )
    portal_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The portal's public address; the links in e-mails point there.",
    )

    idp_url: str = Field(
        default="http://127.0.0.1:8180/auth",
        description="Keycloak's root; e-mail addresses come from its admin API.",
    )
    idp_realm: str = "hoso"
    idp_client_id: str = Field(
        default="hoso-notifications",
        description="Confidential client whose service account may view the realm's users.",
    )
    idp_client_secret: SecretStr = Field(
        default=SecretStr("change-me"), description="The client's secret (refused in production)."
    )
    idp_timeout_s: float = Field(default=10, gt=0)
    profile_cache_s: float = Field(
        default=60, ge=0, description="How long a person's address is reused before asking again."
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_s: float = Field(default=20, gt=0)
    mail_from: str = Field(
        default="Cổng dịch vụ công <khong-tra-loi@hoso.gov.vn>",
        description="From: of every e-mail.",
    )
    mail_domain: str = Field(
        default="notifications.hoso.gov.vn", description="Right-hand side of the Message-IDs."
    )

    sms_provider: Literal["none", "log"] = Field(
        default="none",
        description="SMS gateway: none, or log (the sandbox: writes each SMS to the log).",
    )

    delivery_poll_s: float = Field(
        default=2, gt=0, description="How often the sender looks for due messages when idle."
    )
    delivery_lease_s: float = Field(
        default=60,
        gt=0,
        description="A claimed message not committed within this long is claimed again; a "
        "committed one not marked sent is settled as uncertain, never resent.",
    )
    delivery_backoff_s: float = Field(default=2, gt=0, description="First retry delay.")
    delivery_max_backoff_s: float = Field(
        default=300, gt=0, description="Longest wait between two attempts (retried for ever)."
    )
    hold_after_send_s: float = Field(
        default=0,
        ge=0,
        description="Tests only: wait this long between the server's answer and `sent`, so a "
        "test can kill the process there. Refused in production.",
    )

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {**super().secrets_to_check(), "idp_client_secret": self.idp_client_secret}

    @model_validator(mode="after")
    def _no_test_hold_in_production(self) -> Self:
        if self.env == "production" and self.hold_after_send_s:
            raise ValueError("HOSO_NOTIFICATIONS_HOLD_AFTER_SEND_S is for tests only")
        return self
