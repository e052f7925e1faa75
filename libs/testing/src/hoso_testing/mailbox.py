"""The local stack's Mailpit as tests read it: the e-mails one address received."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx


class Mailbox:
    """Mailpit's HTTP API (`/mail/api/v1`, through the gateway or directly)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def messages(self, address: str) -> list[dict[str, Any]]:
        """Every message sent to `address`, oldest first."""
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(
                f"{self.base_url}/api/v1/search",
                params={"query": f'to:"{address}"', "limit": 500},
            )
        response.raise_for_status()
        found = [m for m in response.json()["messages"] if _sent_to(m, address)]
        return sorted(found, key=lambda m: str(m["Created"]))

    async def wait_for(
        self, address: str, count: int, timeout_s: float = 60
    ) -> list[dict[str, Any]]:
        """Poll until `address` has at least `count` messages; fails with what it has."""
        deadline = time.monotonic() + timeout_s
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                found = await self.messages(address)
            except httpx.HTTPError:
                found = []
            if len(found) >= count:
                return found
            await asyncio.sleep(0.5)
        raise AssertionError(
            f"{address} received {len(found)} of {count} e-mails: "
            f"{[m.get('Subject') for m in found]}"
        )

    async def message(self, message_id: str) -> dict[str, Any]:
        """One message with its text and headers (Mailpit's own id, `ID`)."""
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(f"{self.base_url}/api/v1/message/{message_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def _sent_to(message: dict[str, Any], address: str) -> bool:
    return any(str(to.get("Address", "")).lower() == address.lower() for to in message["To"])
