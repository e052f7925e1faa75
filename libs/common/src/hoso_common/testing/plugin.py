"""pytest plugin: session fixtures for real endpoints, clients, the IdP and Kafka watchers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from hoso_common.settings import S3Settings
from hoso_common.storage import ObjectStorage
from hoso_common.testing.endpoints import Endpoints, resolve_endpoints
from hoso_common.testing.identity import IdpClient
from hoso_common.testing.kafka import EventWatcher
from hoso_common.testing.server import serve_app


@pytest.fixture(scope="session")
def endpoints() -> Iterator[Endpoints]:
    with resolve_endpoints() as resolved:
        saved = {k: os.environ.get(k) for k in resolved.environ()}
        os.environ.update(resolved.environ())
        yield resolved
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


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
    """The running sandbox IdP, or one served in-process when none answers."""
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            (await client.get(f"{endpoints.idp_url}/health/live")).raise_for_status()
        yield IdpClient(endpoints.idp_url)
        return
    except httpx.HTTPError:
        pass
    from hoso_sandbox_idp.main import IdpSettings, create_app

    app = create_app(
        IdpSettings(issuer=os.environ.get("HOSO_OIDC_ISSUER", "http://127.0.0.1:8090"))
    )
    async with serve_app(app) as url:
        # Services started by the tests must fetch their keys from this in-process IdP.
        os.environ["HOSO_OIDC_JWKS_URL"] = f"{url}/jwks.json"
        yield IdpClient(url)


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
