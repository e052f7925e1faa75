"""Shared plumbing of the signing benchmarks: a sandbox CA and signing replicas as processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from pymongo import AsyncMongoClient

RUN = uuid.uuid4().hex[:8]
# The benchmark's events travel on topics of their own: the stack's services (its signing
# replicas included) never see them, and its replicas never see the stack's.
os.environ["HOSO_KAFKA_TOPIC_PREFIX"] = f"bench-{RUN}."

from hoso_common import topics  # noqa: E402
from hoso_common.settings import S3Settings  # noqa: E402
from hoso_common.storage import ObjectStorage  # noqa: E402
from hoso_testing.endpoints import free_port  # noqa: E402
from hoso_testing.kafka import EventWatcher  # noqa: E402
from hoso_testing.signing.harness import SignRequestFeeder, start_group_at_end  # noqa: E402

BUCKET = "hoso-signing-bench"
SOURCE = f"/hoso/signing-bench-{RUN}"
# The sandbox users' ids end in the run's digits: two runs never share a CA user.
RUN_DIGITS = RUN[:6].translate(str.maketrans("abcdef", "123456"))


def endpoints() -> dict[str, str]:
    return {
        "HOSO_KAFKA_BOOTSTRAP_SERVERS": os.environ.get(
            "HOSO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"
        ),
        "HOSO_MONGO_URL": os.environ.get("HOSO_MONGO_URL", "mongodb://127.0.0.1:27017/"),
        "HOSO_S3_ENDPOINT": os.environ.get("HOSO_S3_ENDPOINT", "127.0.0.1:9000"),
    }


def _spawn(args: list[str], environ: dict[str, str], log_name: str) -> subprocess.Popen[bytes]:
    log = open(os.path.join(tempfile.gettempdir(), f"{log_name}-{RUN}.log"), "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args],
        env={
            **os.environ,
            **endpoints(),
            **environ,
            "HOSO_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def wait_live(url: str, path: str = "/health/live", timeout_s: float = 300) -> None:
    async with httpx.AsyncClient(timeout=2) as client, asyncio.timeout(timeout_s):
        while True:
            try:
                if (await client.get(f"{url}{path}")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End one started process the way the platform would (SIGTERM, then wait)."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def start_ca(
    started: list[subprocess.Popen[bytes]],
    *,
    webhook_url: str,
    auto_approve: float | None,
    data_dir: str | None = None,
    fpt_webhook_url: str = "",
) -> str:
    port = free_port()
    environ = {
        "HOSO_CA_DATA_DIR": data_dir or tempfile.mkdtemp(prefix="hoso-ca-bench-"),
        "HOSO_CA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOSO_CA_WEBHOOK_URL_VNPT": webhook_url,
        "HOSO_CA_WEBHOOK_URL_FPT": fpt_webhook_url,
        "HOSO_CA_REQUEST_TTL_S": "600",
    }
    if auto_approve is not None:
        environ["HOSO_CA_AUTO_APPROVE_DELAY_S"] = str(auto_approve)
    started.append(
        _spawn(["--factory", "hoso_sandbox_ca.main:create_app", "--port", str(port)], environ, "ca")
    )
    return f"http://127.0.0.1:{port}"


def start_replica(
    started: list[subprocess.Popen[bytes]],
    *,
    name: str,
    port: int,
    ca_url: str,
    database: str,
    extra: dict[str, str] | None = None,
) -> str:
    environ = {
        "HOSO_SIGNING_REPLICA_ID": name,
        "HOSO_SIGNING_BUCKET": BUCKET,
        "HOSO_SIGNING_EVENT_SOURCE": SOURCE,
        "HOSO_SIGNING_MONGO_DATABASE": database,
        "HOSO_SIGNING_VNPT_BASE_URL": f"{ca_url}/vnpt",
        "HOSO_SIGNING_VIETTEL_BASE_URL": f"{ca_url}/viettel",
        "HOSO_SIGNING_FPT_BASE_URL": f"{ca_url}/fpt/eSignCloud/restapi",
        "HOSO_SIGNING_TRUST_ROOTS": f"{ca_url}/pki/root.pem",
        "HOSO_SIGNING_TSA_URL": f"{ca_url}/pki/tsa",
        "HOSO_SIGNING_REQUESTS_GROUP": f"signing-bench-{RUN}",
        "HOSO_SIGNING_FINISHER_GROUP": f"signing-finisher-bench-{RUN}",
        # The CA of a bench opens its requests for 10 minutes.
        "HOSO_SIGNING_CA_REQUEST_TTL_S": "600",
        "HOSO_SIGNING_VNPT_POLL_AFTER_S": "120",
        **(extra or {}),
    }
    started.append(
        _spawn(
            [
                "--factory",
                "hoso_signing.main:create_app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            environ,
            f"signing-{name}",
        )
    )
    return f"http://127.0.0.1:{port}"


async def drop_topics() -> None:
    """Delete this run's topics (the replicas must have stopped)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints()["HOSO_KAFKA_BOOTSTRAP_SERVERS"])
    await admin.start()
    try:
        mine = [name for name in await admin.list_topics() if name.startswith(topics.PREFIX)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


async def topics_with_leaders(timeout_s: float = 180) -> None:
    """Create this run's topics and wait until every partition has a leader.

    A topic just created answers NotLeaderForPartition until its partitions have elected a
    leader; on a loaded machine that outlasts the clients' own retries, so the run waits here
    instead of failing in its first offset lookup or publish.
    """
    from aiokafka.admin import AIOKafkaAdminClient

    from hoso_common.broker import ensure_topics
    from hoso_common.settings import KafkaSettings

    bootstrap = endpoints()["HOSO_KAFKA_BOOTSTRAP_SERVERS"]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    names = [*topics.ALL_TOPICS, *(topics.dead_letter(name) for name in topics.ALL_TOPICS)]
    leaderless: list[str] = names
    try:
        while True:
            try:
                await ensure_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap))
                described = await admin.describe_topics(names)
                leaderless = [
                    f"{entry['topic']}/{partition['partition']}"
                    for entry in described
                    for partition in entry["partitions"] or [{"partition": "-", "leader": -1}]
                    if entry["error_code"] != 0 or int(partition["leader"]) < 0
                ]
            except Exception as error:  # any admin error here is the topics still settling
                leaderless = [f"({type(error).__name__})"]
            if not leaderless:
                return
            if loop.time() > deadline:
                raise TimeoutError("partitions without a leader: " + ", ".join(leaderless[:10]))
            await asyncio.sleep(1)
    finally:
        await admin.close()


async def prepare_groups() -> None:
    await topics_with_leaders()
    bootstrap = endpoints()["HOSO_KAFKA_BOOTSTRAP_SERVERS"]
    for group, topic in (
        (f"signing-bench-{RUN}", topics.SIGN_REQUESTED),
        (f"signing-finisher-bench-{RUN}", topics.SIGN_APPROVED),
    ):
        # A leader just elected may not be in every broker's metadata yet: retried briefly.
        for attempt in range(10):
            try:
                await start_group_at_end(bootstrap, group, topic)
                break
            except Exception:
                if attempt == 9:
                    raise
                await asyncio.sleep(2)


async def start_feeder() -> SignRequestFeeder:
    """Uploads the files to sign to BUCKET and publishes the run's SignRequested."""
    storage = ObjectStorage(S3Settings(s3_endpoint=endpoints()["HOSO_S3_ENDPOINT"]))
    feeder = SignRequestFeeder(endpoints()["HOSO_KAFKA_BOOTSTRAP_SERVERS"], storage, BUCKET)
    return await feeder.start()


def mongo_client() -> AsyncMongoClient[dict[str, object]]:
    """The replicas' database server: their sign requests, and the run's database to drop."""
    return AsyncMongoClient(endpoints()["HOSO_MONGO_URL"], tz_aware=True, retryWrites=False)


async def add_sandbox_user(client: httpx.AsyncClient, ca: str, user_id: str, name: str) -> None:
    response = await client.post(f"{ca}/sandbox/users", json={"user_id": user_id, "name": name})
    response.raise_for_status()


class CompletedWatcher(EventWatcher):
    """Every SignCompleted from the end of the topic on; `request_ids` are this run's."""

    def __init__(self) -> None:
        super().__init__(endpoints()["HOSO_KAFKA_BOOTSTRAP_SERVERS"], topics.SIGN_COMPLETED)

    def request_ids(self) -> set[str]:
        return {
            r["value"]["data"]["request_id"]
            for r in self.records
            if r["value"] and r["value"].get("source") == SOURCE
        }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]
