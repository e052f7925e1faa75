"""Serves the eforms app in-process against the real Kafka, MongoDB and S3."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from hoso_eforms.config import Settings
from hoso_eforms.main import create_app
from hoso_eforms.repository import FormRepository
from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient
from hoso_testing.pdfa import verapdf_launcher
from hoso_testing.server import serve_app

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "verapdf"


@dataclass
class EformsService:
    url: str
    settings: Settings
    client: httpx.AsyncClient
    forms: FormRepository

    async def wait_for_status(
        self, form_id: str, headers: dict[str, str], status: str, timeout_s: float = 60.0
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                response = await self.client.get(f"/v1/forms/{form_id}", headers=headers)
                response.raise_for_status()
                body: dict[str, Any] = response.json()
                if body["status"] == status:
                    return body
                await asyncio.sleep(0.2)


@pytest_asyncio.fixture(scope="session")
async def eforms(endpoints: Endpoints, idp: IdpClient) -> AsyncIterator[EformsService]:
    # The shared database and bucket: whichever eforms replica of the consumer group takes
    # a SignCompleted applies it to the same forms.
    settings = Settings()
    app = create_app(settings)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url.get_secret_value(), tz_aware=True, retryWrites=False
    )
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        yield EformsService(
            url,
            settings,
            client,
            FormRepository(mongo[settings.mongo_database], source="/hoso/eforms"),
        )
    await mongo.close()


@pytest.fixture(scope="session")
def verapdf() -> Path:
    """The veraPDF CLI, installed into the hoso cache by tools/verapdf/install.sh if missing."""
    launcher = verapdf_launcher()
    if not launcher.exists():
        subprocess.run(["bash", str(TOOLS / "install.sh")], check=True, timeout=600)
    assert launcher.exists(), "veraPDF could not be installed"
    return launcher
