"""A 50 MB upload streams through the service without holding the file in memory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import psutil
import pytest

from .conftest import MiB, Service

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RSS_BOUND = 64 * MiB


async def _multipart(total: int, digest: Any, boundary: str) -> AsyncIterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nTệp lớn 50 MB\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="tệp lớn.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    block = bytearray(b"%PDF-1.7\n" + bytes(range(256)) * 1024)
    sent = 0
    while sent < total:
        piece = bytes(block[: min(len(block), total - sent)])
        digest.update(piece)
        sent += len(piece)
        block[-8:] = sent.to_bytes(8, "big")  # vary the content a little
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


async def _peak_rss(process: psutil.Process, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.01)


async def _upload(service: Service, user: Any, total: int) -> tuple[dict[str, Any], str]:
    digest = hashlib.sha256()
    response = await service.client.post(
        "/v1/documents",
        headers={**user.headers, "Content-Type": "multipart/form-data; boundary=hosoMem"},
        content=_multipart(total, digest, "hosoMem"),
    )
    assert response.status_code == 201, response.text
    return response.json(), digest.hexdigest()


async def test_a_50_mb_upload_streams_within_the_memory_bound(service: Service, idp: Any) -> None:
    user = await idp.citizen()
    await _upload(service, user, 9 * MiB)  # warm up: threads, pools, code paths
    gc.collect()
    process = psutil.Process()
    before = process.memory_info().rss
    peak = [before]
    stop = asyncio.Event()
    sampler = asyncio.create_task(_peak_rss(process, peak, stop))
    total = 50 * 1000 * 1000
    try:
        document, sha256 = await _upload(service, user, total)
    finally:
        stop.set()
        await sampler
    growth = peak[0] - before
    print(f"rss before={before / MiB:.1f} peak={peak[0] / MiB:.1f} growth={growth / MiB:.1f} MiB")
    assert document["object"]["size"] == total
    assert document["object"]["sha256"] == sha256
    assert growth <= RSS_BOUND

    downloaded = hashlib.sha256()
    size = 0
    async with service.client.stream(
        "GET", f"/v1/documents/{document['id']}/download", headers=user.headers
    ) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_bytes():
            downloaded.update(chunk)
            size += len(chunk)
    assert (size, downloaded.hexdigest()) == (total, sha256)
    assert process.memory_info().rss - before <= RSS_BOUND
