"""Settings mixins shared by every service; each service composes them into one Settings."""

from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hoso_common.sandbox_keys import FPT_DEV_RELYING_PARTY_KEY

PLACEHOLDER_SECRETS = frozenset(
    {
        "hoso-local-secret",
        "change-me",
        "dev-webhook-secret",
        "dev-capability-secret",
        "",
        FPT_DEV_RELYING_PARTY_KEY,
    }
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


KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


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
    kafka_publish_timeout_s: float = Field(
        default=20.0,
        gt=0,
        validation_alias=shared("KAFKA_PUBLISH_TIMEOUT_S"),
        description="Deadline of one publish. An idempotent producer never gives up on a "
        "batch by itself, so without it a publish waits as long as the brokers are away.",
    )
    kafka_retry_backoff_ms: int = Field(
        default=500,
        ge=10,
        validation_alias=shared("KAFKA_RETRY_BACKOFF_MS"),
        description="Pause of every Kafka client between two tries (reconnects, metadata, "
        "group lookups). aiokafka's 100 ms made each client try ten times a second while a "
        "broker was away, and the services' retries slowed the broker's own restart.",
    )
    kafka_partitions: int = Field(default=6, ge=1, validation_alias=shared("KAFKA_PARTITIONS"))
    kafka_signing_partitions: int = Field(
        default=12, ge=1, validation_alias=shared("KAFKA_SIGNING_PARTITIONS")
    )
    kafka_replication_factor: int = Field(
        default=1,
        ge=1,
        validation_alias=shared("KAFKA_REPLICATION_FACTOR"),
        description="Replicas of every topic the topics command creates (3 in production).",
    )
    kafka_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        validation_alias=shared("KAFKA_MIN_INSYNC_REPLICAS"),
        description="Topic-level min.insync.replicas; at most the replication factor.",
    )
    kafka_topic_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._-]*$",
        validation_alias=shared("KAFKA_TOPIC_PREFIX"),
        description="Put before every topic name (hoso_common.topics reads it at import).",
    )
    kafka_create_topics: bool = Field(
        default=False,
        validation_alias=shared("KAFKA_CREATE_TOPICS"),
        description="Create missing topics at start. Only the local stack sets it: elsewhere "
        "`python -m hoso_common.topics ensure` owns the topics and readiness reports a "
        "missing one.",
    )
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT", validation_alias=shared("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: KafkaSaslMechanism = Field(
        default="SCRAM-SHA-512", validation_alias=shared("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str = Field(default="", validation_alias=shared("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: SecretStr = Field(
        default=SecretStr(""), validation_alias=shared("KAFKA_SASL_PASSWORD")
    )
    kafka_ssl_cafile: str | None = Field(
        default=None,
        validation_alias=shared("KAFKA_SSL_CAFILE"),
        description="PEM bundle of the CAs that sign the brokers' certificates (SSL, "
        "SASL_SSL); the system's trust store when unset.",
    )

    @model_validator(mode="after")
    def _check_kafka_security(self) -> Self:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value()
        ):
            raise ValueError(
                f"{self.kafka_security_protocol} needs HOSO_KAFKA_SASL_USERNAME and "
                "HOSO_KAFKA_SASL_PASSWORD"
            )
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError(
                "HOSO_KAFKA_MIN_INSYNC_REPLICAS must not exceed HOSO_KAFKA_REPLICATION_FACTOR"
            )
        if self.env == "production" and self.kafka_create_topics:
            raise ValueError(
                "HOSO_KAFKA_CREATE_TOPICS is for the local stack: in production the topics "
                "Job owns the topics"
            )
        return self


class MongoSettings(BaseServiceSettings):
    mongo_url: SecretStr = Field(
        default=SecretStr("mongodb://127.0.0.1:27017/"), validation_alias=shared("MONGO_URL")
    )
    mongo_database: str = "hoso"
    mongo_outbox_prefilter: bool = Field(
        default=False,
        validation_alias=shared("MONGO_OUTBOX_PREFILTER"),
        description=(
            "Local stack only: the outbox scan also asks `outbox != []`, so FerretDB skips "
            "empty outboxes before decoding them. MongoDB needs no such hint."
        ),
    )


class S3Settings(BaseServiceSettings):
    s3_endpoint: str = Field(default="127.0.0.1:9000", validation_alias=shared("S3_ENDPOINT"))
    s3_access_key: str = Field(default="hoso-local", validation_alias=shared("S3_ACCESS_KEY"))
    s3_secret_key: SecretStr = Field(
        default=SecretStr("hoso-local-secret"), validation_alias=shared("S3_SECRET_KEY")
    )
    s3_secure: bool = Field(default=False, validation_alias=shared("S3_SECURE"))
    s3_region: str = Field(default="us-east-1", validation_alias=shared("S3_REGION"))
    s3_connect_timeout_s: float = Field(
        default=3.0, gt=0, validation_alias=shared("S3_CONNECT_TIMEOUT_S")
    )
    s3_read_timeout_s: float = Field(
        default=20.0,
        gt=0,
        validation_alias=shared("S3_READ_TIMEOUT_S"),
        description="Longest wait for one socket read or write of an S3 call.",
    )
    s3_retries: int = Field(
        default=1,
        ge=0,
        validation_alias=shared("S3_RETRIES"),
        description="Quick retries of one S3 call; longer outages answer 503 with Retry-After.",
    )
    s3_workers: int = Field(
        default=16,
        ge=1,
        validation_alias=shared("S3_WORKERS"),
        description="Threads of the storage adapter (uploads in flight at once, per process).",
    )
    s3_stall_timeout_s: float = Field(
        default=30.0,
        gt=0,
        validation_alias=shared("S3_STALL_TIMEOUT_S"),
        description="An upload that moves no data for this long is aborted.",
    )

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {**super().secrets_to_check(), "s3_secret_key": self.s3_secret_key}


class AuthSettings(BaseServiceSettings):
    # Defaults: the local stack's Keycloak; the issuer is its public URL behind the gateway,
    # the keys are fetched from Keycloak directly.
    oidc_issuer: str = Field(
        default="http://127.0.0.1:8080/auth/realms/hoso", validation_alias=shared("OIDC_ISSUER")
    )
    oidc_jwks_url: str = Field(
        default="http://127.0.0.1:8180/auth/realms/hoso/protocol/openid-connect/certs",
        validation_alias=shared("OIDC_JWKS_URL"),
    )
    oidc_audience: str = Field(default="hoso", validation_alias=shared("OIDC_AUDIENCE"))


class CapabilitySettings(BaseServiceSettings):
    object_capability_secret: SecretStr = Field(
        default=SecretStr("dev-capability-secret"),
        validation_alias=shared("OBJECT_CAPABILITY_SECRET"),
        description="HMAC key of the object capabilities services issue to one another.",
    )
    object_capability_ttl_s: int = Field(
        default=120, ge=5, le=3600, validation_alias=shared("OBJECT_CAPABILITY_TTL_S")
    )

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {
            **super().secrets_to_check(),
            "object_capability_secret": self.object_capability_secret,
        }


class PlatformSettings(KafkaSettings, MongoSettings, S3Settings, AuthSettings, CapabilitySettings):
    """Everything a hoso service needs to reach the platform's servers."""


class ReconcilerSettings(BaseServiceSettings):
    """The reconciler of a service that waits on signing (its own env prefix applies)."""

    signing_approval_lifetime_s: float = Field(
        default=300,
        gt=0,
        description="How long a CA keeps a sign request open (signing's ca_request_ttl_s).",
    )
    reconcile_margin_s: float = Field(
        default=120,
        ge=0,
        description="Waited past the approval lifetime before signing is asked for the outcome.",
    )
    reconcile_interval_s: float = Field(default=30, gt=0, description="Reconciler period.")
