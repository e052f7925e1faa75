"""Where the tests find Kafka, MongoDB and S3: environment, testcontainers, or the local stack.

1. Environment variables (`HOSO_KAFKA_BOOTSTRAP_SERVERS`, `HOSO_MONGO_URL`, `HOSO_S3_*`), when
   set, name existing servers.
2. Otherwise, when a Docker engine answers, testcontainers starts Kafka, MongoDB and MinIO.
3. Otherwise the local stack of `make up` is used at its default ports.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

logger = logging.getLogger(__name__)

Source = Literal["environment", "testcontainers", "local-stack"]


@dataclass(frozen=True)
class Endpoints:
    source: Source
    kafka_bootstrap: str
    mongo_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    gateway_url: str
    keycloak_url: str
    ca_url: str

    def environ(self) -> dict[str, str]:
        """The shared settings, as a service started by a test reads them."""
        return {
            "HOSO_KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "HOSO_MONGO_URL": self.mongo_url,
            "HOSO_S3_ENDPOINT": self.s3_endpoint,
            "HOSO_S3_ACCESS_KEY": self.s3_access_key,
            "HOSO_S3_SECRET_KEY": self.s3_secret_key,
        }


def _docker_answers() -> bool:
    if os.environ.get("HOSO_TEST_NO_DOCKER"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
    except Exception:
        return False
    return True


def _local(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _gateway_defaults() -> dict[str, str]:
    gateway = _local("HOSO_TEST_GATEWAY_URL", "http://127.0.0.1:8080")
    return {
        "gateway_url": gateway,
        # Keycloak directly (its root, /auth): test users do not go through the gateway.
        "keycloak_url": _local("HOSO_TEST_KEYCLOAK_URL", "http://127.0.0.1:8180/auth"),
        "ca_url": _local("HOSO_TEST_CA_URL", "http://127.0.0.1:8091"),
    }


@contextlib.contextmanager
def _testcontainers() -> Iterator[Endpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.minio import MinioContainer
    from testcontainers.mongodb import MongoDbContainer

    with (
        KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
        MongoDbContainer("mongo:8") as mongo,
        MinioContainer() as minio,
    ):
        config: dict[str, Any] = minio.get_config()
        # A fresh Kafka: make the topics as the topics Job would (services do not).
        import asyncio

        from hoso_common import topics
        from hoso_common.settings import KafkaSettings

        bootstrap = kafka.get_bootstrap_server()
        asyncio.run(topics.ensure(KafkaSettings(kafka_bootstrap_servers=bootstrap)))
        yield Endpoints(
            source="testcontainers",
            kafka_bootstrap=kafka.get_bootstrap_server(),
            mongo_url=mongo.get_connection_url(),
            s3_endpoint=str(config["endpoint"]),
            s3_access_key=str(config["access_key"]),
            s3_secret_key=str(config["secret_key"]),
            **_gateway_defaults(),
        )


@contextlib.contextmanager
def resolve_endpoints() -> Iterator[Endpoints]:
    if os.environ.get("HOSO_KAFKA_BOOTSTRAP_SERVERS"):
        yield Endpoints(
            source="environment",
            kafka_bootstrap=os.environ["HOSO_KAFKA_BOOTSTRAP_SERVERS"],
            mongo_url=_local("HOSO_MONGO_URL", "mongodb://127.0.0.1:27017/"),
            s3_endpoint=_local("HOSO_S3_ENDPOINT", "127.0.0.1:9000"),
            s3_access_key=_local("HOSO_S3_ACCESS_KEY", "hoso-local"),
            s3_secret_key=_local("HOSO_S3_SECRET_KEY", "hoso-local-secret"),
            **_gateway_defaults(),
        )
    elif _docker_answers():
        with _testcontainers() as endpoints:
            yield endpoints
    else:
        yield Endpoints(
            source="local-stack",
            kafka_bootstrap="127.0.0.1:9092",
            mongo_url="mongodb://127.0.0.1:27017/",
            s3_endpoint="127.0.0.1:9000",
            s3_access_key="hoso-local",
            s3_secret_key="hoso-local-secret",  # noqa: S106 - the local stack's fixed key
            **_gateway_defaults(),
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def environ_set(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ inside the block, what was there before restored after it.

    For session fixtures and services started inside a test: monkeypatch lasts one test.
    """
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
