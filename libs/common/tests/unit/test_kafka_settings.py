"""Kafka security settings, their translation for every client, and the topic definition."""

import ssl

import pytest
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import SecretStr, ValidationError

from hoso_common import topics
from hoso_common.kafka_security import broker_security, client_options
from hoso_common.settings import KafkaSettings


def sasl(protocol: str = "SASL_SSL", mechanism: str = "SCRAM-SHA-512") -> KafkaSettings:
    return KafkaSettings.model_validate(
        {
            "HOSO_KAFKA_SECURITY_PROTOCOL": protocol,
            "HOSO_KAFKA_SASL_MECHANISM": mechanism,
            "HOSO_KAFKA_SASL_USERNAME": "hoso",
            "HOSO_KAFKA_SASL_PASSWORD": "s3cret",
        }
    )


def test_plaintext_is_the_default_and_adds_nothing() -> None:
    settings = KafkaSettings()
    assert broker_security(settings) is None
    assert client_options(settings) == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "PLAINTEXT",
        "retry_backoff_ms": 500,
    }


def test_sasl_ssl_scram_512_reaches_the_broker_and_the_plain_clients() -> None:
    settings = sasl()
    security = broker_security(settings)
    assert isinstance(security, SASLScram512)
    assert security.use_ssl and isinstance(security.ssl_context, ssl.SSLContext)
    assert (security.username, security.password) == ("hoso", "s3cret")
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_password"] == "s3cret"
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("mechanism", "kind"), [("SCRAM-SHA-256", SASLScram256), ("PLAIN", SASLPlaintext)]
)
def test_other_mechanisms(mechanism: str, kind: type[BaseSecurity]) -> None:
    security = broker_security(sasl("SASL_PLAINTEXT", mechanism))
    assert type(security) is kind
    assert security is not None and not security.use_ssl
    assert "ssl_context" not in client_options(sasl("SASL_PLAINTEXT", mechanism))


def test_tls_only_uses_the_ca_bundle() -> None:
    settings = KafkaSettings(kafka_security_protocol="SSL", kafka_ssl_cafile="/nonexistent.pem")
    with pytest.raises(FileNotFoundError):
        client_options(settings)
    settings = KafkaSettings(kafka_security_protocol="SSL")
    security = broker_security(settings)
    assert type(security) is BaseSecurity and security.use_ssl


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(ValidationError, match="HOSO_KAFKA_SASL_USERNAME"):
        KafkaSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="hoso")
    with pytest.raises(ValidationError):
        KafkaSettings.model_validate({"HOSO_KAFKA_SASL_MECHANISM": "GSSAPI"})


def test_production_never_creates_topics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_ENV", "production")
    monkeypatch.setenv("HOSO_KAFKA_CREATE_TOPICS", "true")
    with pytest.raises(ValidationError, match="HOSO_KAFKA_CREATE_TOPICS"):
        KafkaSettings()
    monkeypatch.setenv("HOSO_KAFKA_CREATE_TOPICS", "false")
    assert not KafkaSettings().kafka_create_topics


def test_min_insync_replicas_cannot_exceed_the_replication_factor() -> None:
    with pytest.raises(ValidationError, match="MIN_INSYNC"):
        KafkaSettings(kafka_replication_factor=1, kafka_min_insync_replicas=2)


def test_topic_specs_come_from_one_definition() -> None:
    settings = KafkaSettings(
        kafka_partitions=6,
        kafka_signing_partitions=12,
        kafka_replication_factor=3,
        kafka_min_insync_replicas=2,
        kafka_sasl_password=SecretStr("unused"),
    )
    specs = {spec.name: spec for spec in topics.specs(settings)}
    assert len(specs) == 2 * len(topics.BASE_NAMES)
    assert specs[topics.SIGN_APPROVED].partitions == 12
    assert specs[topics.dead_letter(topics.SIGN_REQUESTED)].partitions == 12
    assert specs[topics.SIGN_COMPLETED].partitions == 6
    assert {spec.replication_factor for spec in specs.values()} == {3}
    assert specs[topics.DOSSIER_SUBMITTED].configs() == {"min.insync.replicas": "2"}


def test_the_topics_command_refuses_a_topic_the_code_lacks() -> None:
    with pytest.raises(SystemExit, match=r"hoso\.eforms\.events"):
        topics.main(["plan", "hoso.eforms.events"])


def test_otel_service_name_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    from hoso_common.telemetry import service_name

    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    assert service_name("signing") == "signing"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "hoso-signing")
    assert service_name("signing") == "hoso-signing"
