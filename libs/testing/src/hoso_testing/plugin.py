"""pytest plugin: session fixtures for real endpoints, clients, Keycloak and Kafka watchers
and publishers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from hoso_common.settings import S3Settings
from hoso_common.storage import ObjectStorage
from hoso_testing.endpoints import Endpoints, environ_set, resolve_endpoints
from hoso_testing.identity import IdpClient
from hoso_testing.kafka import EventWatcher, Publish, send_envelope


@pytest.fixture(scope="session")
def endpoints() -> Iterator[Endpoints]:
    with resolve_endpoints() as resolved, environ_set(resolved.environ()):
        yield resolved


@pytest_asyncio.fixture(scope="session")
async def mongo_client(endpoints: Endpoints) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        endpoints.mongo_url, tz_aware=True, retryWrites=False, serverSelectionTimeoutMS=5000
    )
    yield client
    await client.close()


@pytest.fixture(scope="session")
def storage(endpoints: Endpoints) -> ObjectStorage:
    return ObjectStorage(S3Settings())


@pytest_asyncio.fixture(scope="session")
async def idp(endpoints: Endpoints) -> AsyncIterator[IdpClient]:
    """Keycloak of the local stack (`make up`): makes users and logs them in."""
    client = IdpClient(
        endpoints.keycloak_url,
        admin_user=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN", "admin"),
        admin_password=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN_PASSWORD", "hoso-local-admin"),
    )
    try:
        discovery = await client.http().get(f"{client.realm_url}/.well-known/openid-configuration")
        discovery.raise_for_status()
    except httpx.HTTPError as error:
        await client.aclose()
        pytest.fail(
            f"Keycloak does not answer at {endpoints.keycloak_url} (run `make up`): {error!r}"
        )
    # Services started by the tests verify tokens of this realm.
    os.environ.setdefault("HOSO_OIDC_ISSUER", discovery.json()["issuer"])
    os.environ.setdefault("HOSO_OIDC_JWKS_URL", discovery.json()["jwks_uri"])
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def watch(endpoints: Endpoints) -> AsyncIterator[Any]:
    """`await watch(topic)` returns a started EventWatcher; all are stopped after the test."""
    watchers: list[EventWatcher] = []

    async def start(topic: str) -> EventWatcher:
        watcher = await EventWatcher(endpoints.kafka_bootstrap, topic).start()
        watchers.append(watcher)
        return watcher

    yield start
    for watcher in watchers:
        await watcher.stop()


@pytest_asyncio.fixture(scope="session")
async def publish(endpoints: Endpoints) -> AsyncIterator[Publish]:
    """`await publish(envelope)`: the event on its topic, as another service would send it."""
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    await producer.start()

    async def send(envelope: Any) -> None:
        await send_envelope(producer, envelope)

    yield send
    await producer.stop()
