"""Small helpers the integration tests share: uploads, polling, event publishing, S3 checks."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiokafka import AIOKafkaProducer

from hoso_common.events import Envelope, EventData, cloudevent_headers, new_envelope
from hoso_common.storage import ObjectStorage
from hoso_documents.domain.object_keys import owner_prefix
from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import TestUser

from .samples import PDF


async def upload(
    client: httpx.AsyncClient,
    user: TestUser,
    *,
    name: str = "Giấy khai sinh",
    data: bytes = PDF,
    filename: str = "giay-khai-sinh.pdf",
    content_type: str = "application/pdf",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        "/v1/documents",
        headers=user.headers,
        data={"name": name, **fields},
        files={"file": (filename, data, content_type)},
    )


async def upload_ok(client: httpx.AsyncClient, user: TestUser, **kwargs: Any) -> dict[str, Any]:
    response = await upload(client, user, **kwargs)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def poll_document(
    client: httpx.AsyncClient,
    user: TestUser,
    document_id: str,
    until: Callable[[dict[str, Any]], bool],
    timeout_s: float = 30,
) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            response = await client.get(f"/v1/documents/{document_id}", headers=user.headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if until(body):
                return body
            await asyncio.sleep(0.2)


async def raw_chunked_post(
    url: str, path: str, headers: dict[str, str], body: AsyncIterator[bytes]
) -> tuple[int, bytes]:
    """POST a chunked body the way a browser does: stop sending once the response arrives.

    Returns the status and the response head. httpx only reads after it sent everything,
    so it cannot see a response given early by a server that stops reading.
    """
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())

    async def send() -> None:
        with contextlib.suppress(ConnectionError):
            async for chunk in body:
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        response = await reader.readuntil(b"\r\n\r\n")
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
        writer.close()
    return int(response.split(b" ", 2)[1]), response


async def publish(endpoints: Endpoints, *envelopes: Envelope[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap)
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(
                envelope.data.topic,
                json.dumps(envelope.model_dump(mode="json")).encode(),
                key=envelope.data.partition_key().encode(),
                headers=[(k, v.encode()) for k, v in cloudevent_headers(envelope).items()],
            )
    finally:
        await producer.stop()


def envelope(event: EventData) -> Envelope[Any]:
    return new_envelope(event, source="/hoso/signing")


async def owner_keys(storage: ObjectStorage, bucket: str, user: TestUser) -> list[str]:
    return await storage.list_keys(bucket, f"{owner_prefix(user.sub)}/")


def now() -> datetime:
    return datetime.now(UTC)
