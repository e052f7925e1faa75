"""Two signing replicas as OS processes; one is killed -9 mid-burst; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from hoso_common import topics
from hoso_common.storage import ObjectStorage
from hoso_testing.endpoints import Endpoints, free_port
from hoso_testing.signing.harness import (
    RUN,
    TEST_BUCKET,
    SignRequestFeeder,
    start_group_at_end,
)
from hoso_testing.signing.pdfs import build_pdf

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

REQUESTS = 40


def start_replica(environ: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "hoso_signing.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# A replica starts in seconds on a quiet machine, in a minute or more on a busy one; the
# start is not what this test measures.
async def wait_ready(url: str, timeout_s: float = 150) -> None:
    async with httpx.AsyncClient(timeout=2) as client, asyncio.timeout(timeout_s):
        while True:
            try:
                if (await client.get(f"{url}/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)


async def test_killing_a_replica_mid_burst_loses_and_doubles_nothing(
    endpoints: Endpoints,
    sandbox_ca: Any,
    storage: ObjectStorage,
    watch: Any,
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    from .conftest import signing_environ

    suffix = f"kill-{RUN}-{uuid.uuid4().hex[:4]}"
    source = f"/hoso/signing-kill-{suffix}"
    database = f"hoso_signing_kill_{suffix.replace('-', '_')}"
    await start_group_at_end(endpoints.kafka_bootstrap, f"signing-{suffix}", topics.SIGN_REQUESTED)
    await start_group_at_end(
        endpoints.kafka_bootstrap, f"signing-finisher-{suffix}", topics.SIGN_APPROVED
    )
    replicas: dict[str, subprocess.Popen[bytes]] = {}
    urls = {}
    for name in ("a", "b"):
        environ = signing_environ(sandbox_ca.url, replica=f"kill-{name}", group_suffix=suffix)
        environ |= {
            "HOSO_SIGNING_EVENT_SOURCE": source,
            "HOSO_SIGNING_MONGO_DATABASE": database,
        }
        port = free_port()
        replicas[name] = start_replica(environ, port)
        urls[name] = f"http://127.0.0.1:{port}"
    try:
        await asyncio.gather(*(wait_ready(url) for url in urls.values()))
        await asyncio.sleep(8)  # both consumers join their groups
        completed = await watch(topics.SIGN_COMPLETED)
        feeder = await SignRequestFeeder(endpoints.kafka_bootstrap, storage, TEST_BUCKET).start()
        users = [await sandbox_ca.enroll(f"NGƯỜI KÝ {i}") for i in range(4)]
        pdf = build_pdf(2)
        ids = []
        for i in range(REQUESTS):
            ref = await feeder.upload(pdf, filename=f"ho-so-{i}.pdf")
            request = feeder.request(
                ref, signer_id=users[i % 4], signer_sub=f"citizen-{i}", provider="viettel-mysign"
            )
            ids.append(request.request_id)
            await feeder.publish(request)
        await feeder.flush()
        await feeder.stop()
        async with asyncio.timeout(90):
            while sum([len(await sandbox_ca.pending(u)) for u in users]) < REQUESTS:
                await asyncio.sleep(0.3)
        wanted = set(ids)

        def ours(record: dict[str, Any]) -> bool:
            return bool(
                record["value"]["source"] == source
                and record["value"]["data"]["request_id"] in wanted
            )

        approved = await sandbox_ca.client.post(f"{sandbox_ca.url}/sandbox/approve-all")
        assert approved.status_code == 200, approved.text
        async with asyncio.timeout(60):
            while len(completed.matching(ours)) < 3:
                await asyncio.sleep(0.02)
        replicas["a"].send_signal(signal.SIGKILL)
        replicas["a"].wait(timeout=10)
        done_at_kill = len(completed.matching(ours))

        async with asyncio.timeout(150):
            while len({r["value"]["data"]["request_id"] for r in completed.matching(ours)}) < len(
                wanted
            ):
                await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # let any late duplicate surface

        records = completed.matching(ours)
        per_request = Counter(r["value"]["data"]["request_id"] for r in records)
        events_per_request = {
            rid: {r["value"]["id"] for r in records if r["value"]["data"]["request_id"] == rid}
            for rid in wanted
        }
        assert set(per_request) == wanted
        assert all(len(ev) == 1 for ev in events_per_request.values()), events_per_request
        assert all(r["value"]["data"]["status"] == "signed" for r in records)
        for rid in wanted:
            keys = await storage.list_keys(TEST_BUCKET, f"signed/{rid}/")
            assert len(keys) == 1, (rid, keys)
        docs = [d async for d in mongo_client[database]["sign_requests"].find({})]
        assert {d["_id"] for d in docs} == wanted
        assert all(d["status"] == "completed" for d in docs)
        for record in records:
            data = record["value"]["data"]
            stored = await storage.read_bytes(TEST_BUCKET, data["signed_object"]["key"])
            import hashlib

            assert hashlib.sha256(stored).hexdigest() == data["signed_object"]["sha256"]
        finished_by = Counter(d["finished_by"] for d in docs)
        crossed = [d for d in docs if d["prepared_by"] == "kill-a" and d["finished_by"] == "kill-b"]
        print(
            f"kill test: completed before kill={done_at_kill}, finished_by={dict(finished_by)}, "
            f"prepared by a and finished by b={len(crossed)}, raw SignCompleted records="
            f"{len(records)} for {len(wanted)} requests"
        )
        assert crossed, "no request prepared by the killed replica was finished by the other"
    finally:
        for process in replicas.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
