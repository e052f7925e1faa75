"""The sandbox CA served in-process on a real port, and a webhook receiver that checks the HMAC."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hoso_sandbox_ca.ca import SandboxCa
from hoso_sandbox_ca.config import Settings
from hoso_sandbox_ca.main import create_app
from hoso_testing.endpoints import free_port
from hoso_testing.identity import IdpClient
from hoso_testing.server import serve_app

WEBHOOK_SECRET = "integration-webhook-secret"


class WebhookReceiver:
    """Accepts only correctly signed, fresh webhooks; can fail the first N on purpose."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.received: dict[str, dict[str, Any]] = {}
        self.rejected = 0
        self.fail_next = 0
        self.attempts = 0
        self._arrived = asyncio.Condition()
        self.app = FastAPI()
        self.app.post("/webhook")(self._handle)

    async def _handle(self, request: Request) -> JSONResponse:
        self.attempts += 1
        body = await request.body()
        timestamp = request.headers.get("X-Hoso-Timestamp", "")
        signature = request.headers.get("X-Hoso-Signature", "")
        expected = hmac.new(self.secret, f"{timestamp}.".encode() + body, hashlib.sha256)
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
        if not (fresh and hmac.compare_digest(signature, expected.hexdigest())):
            self.rejected += 1
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if self.fail_next > 0:
            self.fail_next -= 1
            return JSONResponse({"error": "try later"}, status_code=503)
        payload = json.loads(body)
        async with self._arrived:
            self.received[payload.get("transaction_id") or payload["billCode"]] = payload
            self._arrived.notify_all()
        return JSONResponse({"ok": True})

    async def wait_for(self, transaction_id: str, timeout_s: float = 10) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s), self._arrived:
            await self._arrived.wait_for(lambda: transaction_id in self.received)
        return self.received[transaction_id]

    async def wait_for_count(self, count: int, timeout_s: float = 60) -> None:
        async with asyncio.timeout(timeout_s), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[tuple[WebhookReceiver, str]]:
    hook = WebhookReceiver(WEBHOOK_SECRET)
    async with serve_app(hook.app) as url:
        yield hook, f"{url}/webhook"


@dataclass
class RunningCa:
    client: httpx.AsyncClient
    sandbox: SandboxCa


StartCa = Callable[..., contextlib.AbstractAsyncContextManager[RunningCa]]


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PKI for the session (a restart keeps the root, so every CA started on it agrees)."""
    return tmp_path_factory.mktemp("ca-data")


@pytest.fixture
def start_ca(
    shared_data_dir: Path, receiver: tuple[WebhookReceiver, str], idp: IdpClient
) -> StartCa:
    """`async with start_ca(request_ttl_s=1) as running:` a CA served on a free port.

    It checks phone logins against the IdP of `idp` (its settings come from HOSO_OIDC_*).
    """

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[RunningCa]:
        port = free_port()
        settings = Settings(
            data_dir=str(overrides.pop("data_dir", shared_data_dir)),
            public_url=f"http://127.0.0.1:{port}",
            webhook_url_vnpt=receiver[1],
            webhook_url_fpt=overrides.pop("webhook_url_fpt", receiver[1]),
            webhook_secret=WEBHOOK_SECRET,
            webhook_backoff_s=0.05,
            sweep_interval_s=0.1,
            **overrides,
        )
        app = create_app(settings)
        async with (
            serve_app(app, port=port) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield RunningCa(client, app.state.ca)

    return start


@pytest_asyncio.fixture
async def ca(start_ca: StartCa) -> AsyncIterator[httpx.AsyncClient]:
    async with start_ca() as running:
        yield running.client


@pytest.fixture
def hook(receiver: tuple[WebhookReceiver, str]) -> WebhookReceiver:
    return receiver[0]
