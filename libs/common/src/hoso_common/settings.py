"""Settings mixins shared by every service; each service composes them into one Settings."""

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hoso_common.sandbox_keys import FPT_DEV_RELYING_PARTY_KEY

PLACEHOLDER_SECRETS = frozenset(
    {"hoso-local-secret", "change-me", "dev-webhook-secret", "", FPT_DEV_RELYING_PARTY_KEY}
)


def shared(name: str) -> AliasChoices:
    """Read a shared setting from its HOSO_* variable whatever the service prefix is."""
    return AliasChoices(f"HOSO_{name}")


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "hoso"
    env: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=shared("ENV")
    )
    log_level: str = Field(default="INFO", validation_alias=shared("LOG_LEVEL"))

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {}

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> "BaseServiceSettings":
        if self.env == "production":
            weak = [
                name
                for name, value in self.secrets_to_check().items()
                if value.get_secret_value() in PLACEHOLDER_SECRETS
            ]
            if weak:
                raise ValueError(f"placeholder secrets are not allowed in production: {weak}")
        return self


class KafkaSettings(BaseServiceSettings):
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias=shared("KAFKA_BOOTSTRAP_SERVERS")
    )
    kafka_max_attempts: int = Field(
        default=5,
        ge=1,
        validation_alias=shared("KAFKA_MAX_ATTEMPTS"),
        description="Deliveries of one message before it goes to the dead-letter topic.",
    )
    kafka_partitions: int = Field(default=6, ge=1, validation_alias=shared("KAFKA_PARTITIONS"))
    kafka_signing_partitions: int = Field(
        default=12, ge=1, validation_alias=shared("KAFKA_SIGNING_PARTITIONS")
    )


class MongoSettings(BaseServiceSettings):
    mongo_url: SecretStr = Field(
        default=SecretStr("mongodb://127.0.0.1:27017/"), validation_alias=shared("MONGO_URL")
    )
    mongo_database: str = "hoso"


class S3Settings(BaseServiceSettings):
    s3_endpoint: str = Field(default="127.0.0.1:9000", validation_alias=shared("S3_ENDPOINT"))
    s3_access_key: str = Field(default="hoso-local", validation_alias=shared("S3_ACCESS_KEY"))
    s3_secret_key: SecretStr = Field(
        default=SecretStr("hoso-local-secret"), validation_alias=shared("S3_SECRET_KEY")
    )
    s3_secure: bool = Field(default=False, validation_alias=shared("S3_SECURE"))
    s3_region: str = Field(default="us-east-1", validation_alias=shared("S3_REGION"))

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {**super().secrets_to_check(), "s3_secret_key": self.s3_secret_key}


class AuthSettings(BaseServiceSettings):
    oidc_issuer: str = Field(
        default="http://127.0.0.1:8090", validation_alias=shared("OIDC_ISSUER")
    )
    oidc_jwks_url: str = Field(
        default="http://127.0.0.1:8090/jwks.json", validation_alias=shared("OIDC_JWKS_URL")
    )
    oidc_audience: str = Field(default="hoso", validation_alias=shared("OIDC_AUDIENCE"))


class PlatformSettings(KafkaSettings, MongoSettings, S3Settings, AuthSettings):
    """Everything a hoso service needs to reach the platform's servers."""
