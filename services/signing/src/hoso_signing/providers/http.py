"""The HTTP plumbing the provider adapters share: the client, JSON POSTs, error translation."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import httpx
from opentelemetry import propagate

from hoso_signing.providers import ProviderError


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    payload: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST JSON; transport errors and 5xx are retryable, a non-JSON body is not."""
    # The trace context goes along, so a CA that echoes it on its callback (the sandbox CA
    # does) joins the approval to the trace of the document being signed.
    traced = dict(headers or {})
    propagate.inject(traced)
    try:
        response = await client.post(url, json=payload, headers=traced)
    except httpx.HTTPError as error:
        raise ProviderError(f"provider unreachable: {error!r}", retryable=True) from error
    if response.status_code >= 500:
        raise ProviderError(
            f"provider error {response.status_code}", retryable=True, code=str(response.status_code)
        )
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ProviderError(
            f"provider answered {response.status_code} without JSON", retryable=False
        ) from error
    if not isinstance(body, dict):
        raise ProviderError("provider answered an unexpected JSON shape", retryable=False)
    return response.status_code, body


def decode_b64(value: Any, what: str) -> bytes:
    """Strict base64 from a provider's answer; anything else is a non-retryable error."""
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ProviderError(f"provider sent an invalid base64 {what}", retryable=False) from error


class AccountClient:
    """A CA adapter's HTTP side: the CA's base URL, the platform's account there, a client."""

    def __init__(
        self,
        base_url: str,
        account: str,
        secret: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account = account
        self.secret = secret
        self.client = client or httpx.AsyncClient(timeout=timeout_s)

    async def aclose(self) -> None:
        await self.client.aclose()
