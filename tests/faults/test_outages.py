"""`make test-faults`: outages of each dependency, and killed processes, under 40 signings.

Each scenario must end with every document signed (once), or failed with a clear reason,
within the approval lifetime plus 60 s; no request waiting without a deadline; nothing stuck;
and every service ready again within 30 s of the fault's end, with no restart but that of a
killed process (which supervisord starts again, as a Deployment would).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hoso_testing.identity import TestUser
from hoso_testing.signing.pdfs import build_pdf

from .driver import DOCUMENTS, REQUEST_LIMIT_S, check, nothing_failed, run_scenario, stack

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]


async def outage(parts: str, seconds: float) -> dict[str, Any]:
    try:
        stop_s = await asyncio.to_thread(stack, "stop", parts)
        await asyncio.sleep(seconds)
    finally:
        # Also when the test is cut short: the next scenario needs the whole stack.
        start_s = await asyncio.to_thread(stack, "start", parts)
    return {"stop_s": round(stop_s, 1), "down_s": seconds, "start_s": round(start_s, 1)}


async def crash(part: str) -> dict[str, Any]:
    try:
        await asyncio.to_thread(stack, "kill", part)
    finally:
        # supervisord (the Deployment elsewhere) starts the process again by itself; `start`
        # waits until it answers (and starts it, were it left down).
        restart_s = await asyncio.to_thread(stack, "start", part)
    return {"restart_s": round(restart_s, 1)}


async def test_a_signing_replica_killed(gateway: httpx.AsyncClient, citizen: TestUser) -> None:
    check(await run_scenario("kill -9 signing-1", gateway, citizen, lambda: crash("signing-1")))


async def test_kafka_stopped_for_30_s(gateway: httpx.AsyncClient, citizen: TestUser) -> None:
    check(await run_scenario("Kafka stopped 30 s", gateway, citizen, lambda: outage("kafka", 30)))


async def test_s3_stopped_for_15_s(gateway: httpx.AsyncClient, citizen: TestUser) -> None:
    outcome = await run_scenario("S3 stopped 15 s", gateway, citizen, lambda: outage("s3", 15))
    check(outcome)
    nothing_failed(outcome)


async def test_the_database_stopped_for_15_s(gateway: httpx.AsyncClient, citizen: TestUser) -> None:
    outcome = await run_scenario(
        "database stopped 15 s", gateway, citizen, lambda: outage("ferretdb,mongo-lock", 15)
    )
    check(outcome)
    nothing_failed(outcome)


async def test_documents_killed_mid_upload(gateway: httpx.AsyncClient, citizen: TestUser) -> None:
    """Large uploads are streaming when documents dies: each ends at once, none hangs."""
    ended: list[float] = []

    async def slow_upload() -> None:
        boundary = uuid.uuid4().hex

        async def body() -> AsyncIterator[bytes]:
            yield (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="name"\r\n\r\nTệp lớn\r\n'
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="file"; filename="lon.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode() + build_pdf(title="lon")
            for _ in range(200):  # 200 x 64 KiB over ~10 s
                yield b"0" * 65536
                await asyncio.sleep(0.05)
            yield f"\r\n--{boundary}--\r\n".encode()

        began = time.monotonic()
        with contextlib.suppress(httpx.HTTPError):
            await gateway.post(
                DOCUMENTS,
                headers={
                    **citizen.headers,
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
                content=body(),
                timeout=REQUEST_LIMIT_S,
            )
        ended.append(time.monotonic() - began)

    async def kill_mid_upload() -> dict[str, Any]:
        uploads = [asyncio.create_task(slow_upload()) for _ in range(3)]
        await asyncio.sleep(2.0)
        notes = await crash("documents")
        await asyncio.gather(*uploads)
        return {**notes, "slowest_cut_upload_s": round(max(ended), 1)}

    outcome = await run_scenario("kill -9 documents mid-upload", gateway, citizen, kill_mid_upload)
    check(outcome)
    assert max(ended) < REQUEST_LIMIT_S, "an upload cut by the crash hung"
