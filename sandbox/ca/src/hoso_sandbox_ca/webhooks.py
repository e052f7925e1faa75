"""VNPT-style webhooks: HMAC-SHA256 over "<timestamp>." + body, retried with backoff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Protocol

import httpx

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Hoso-Timestamp"
SIGNATURE_HEADER = "X-Hoso-Signature"


def webhook_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """hex(HMAC-SHA256(secret, f"{timestamp}.".encode() + body))."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def encode_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Notifier(Protocol):
    def notify(
        self,
        payload: dict[str, Any],
        trace: dict[str, str] | None = None,
        *,
        url: str | None = None,
    ) -> object: ...


class WebhookNotifier:
    """Delivers in background tasks; at most `concurrency` requests are in flight at once."""

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        attempts: int,
        backoff_s: float,
        concurrency: int,
        timeout_s: float,
    ) -> None:
        self.url = url
        self.secret = secret
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._slots = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._tasks: set[asyncio.Task[bool]] = set()
        self.delivered = 0
        self.failed = 0

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def notify(
        self,
        payload: dict[str, Any],
        trace: dict[str, str] | None = None,
        *,
        url: str | None = None,
    ) -> asyncio.Task[bool]:
        task = asyncio.create_task(self.deliver(payload, trace, url=url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def deliver(
        self,
        payload: dict[str, Any],
        trace: dict[str, str] | None = None,
        *,
        url: str | None = None,
    ) -> bool:
        body = encode_body(payload)
        target = url or self.url
        transaction_id = payload.get("transaction_id") or payload.get("billCode")
        for attempt in range(1, self.attempts + 1):
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: webhook_signature(self.secret, timestamp, body),
                **(trace or {}),
            }
            try:
                async with self._slots:
                    response = await self._client.post(target, content=body, headers=headers)
                if response.is_success:
                    self.delivered += 1
                    return True
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
            logger.warning(
                "webhook attempt failed",
                extra={"transaction_id": transaction_id, "attempt": attempt, "problem": problem},
            )
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        self.failed += 1
        logger.error("webhook gave up", extra={"transaction_id": transaction_id, "url": target})
        return False

    async def drain(self, timeout_s: float) -> None:
        """Wait for the deliveries in flight (used at shutdown and by approve-all?wait=true)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    async def aclose(self) -> None:
        for task in set(self._tasks):
            task.cancel()
        await self._client.aclose()
