"""Serves the documents app in-process against the real Kafka, MongoDB and S3."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from pymongo import AsyncMongoClient

from hoso_common.settings import S3Settings
from hoso_common.storage import ObjectStorage
from hoso_documents.config import Settings
from hoso_documents.main import create_app
from hoso_documents.repository import COLLECTION, DocumentRepository
from hoso_documents.service import Vault
from hoso_testing.endpoints import Endpoints
from hoso_testing.server import serve_app

MiB = 1024 * 1024


@dataclass
class Service:
    url: str
    settings: Settings
    vault: Vault
    client: httpx.AsyncClient

    def documents(self) -> Any:
        return self.vault.repository.collection


def _settings(run: str, **overrides: Any) -> Settings:
    return Settings(
        mongo_database=f"hoso_documents_it_{run}",
        bucket="hoso-documents-it",
        consumer_group=f"documents-it-{run}",
        cleanup_interval_s=3600,
        signing_url="http://127.0.0.1:9/api/signing",  # nothing listens: signing is "down"
        **overrides,
    )


@pytest_asyncio.fixture(scope="session")
async def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest_asyncio.fixture(scope="session")
async def service(
    endpoints: Endpoints, idp: Any, run_id: str, mongo_client: AsyncMongoClient[dict[str, Any]]
) -> AsyncIterator[Service]:
    """The app with a limit raised to 60 MiB, so a 50 MB upload fits."""
    settings = _settings(run_id, max_upload_bytes=60 * MiB)
    async with (
        serve_app(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as client,
    ):
        vault = Vault(
            DocumentRepository(mongo_client[settings.mongo_database], source="/hoso/documents"),
            ObjectStorage(S3Settings()),
            settings,
        )
        yield Service(url=url, settings=settings, vault=vault, client=client)
    await mongo_client.drop_database(settings.mongo_database)


@pytest_asyncio.fixture(scope="session")
async def small_service(
    service: Service, run_id: str, mongo_client: AsyncMongoClient[dict[str, Any]]
) -> AsyncIterator[Service]:
    """The same app with a 1 MiB limit, for the size checks."""
    settings = _settings(run_id, max_upload_bytes=1 * MiB)
    async with (
        serve_app(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        yield Service(url=url, settings=settings, vault=service.vault, client=client)


@pytest_asyncio.fixture(scope="session")
async def collection_name() -> str:
    return COLLECTION
