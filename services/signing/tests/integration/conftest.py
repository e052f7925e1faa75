"""Fixtures: the real sandbox CA and the signing app served in-process on real Kafka/Mongo/S3."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from hoso_common import topics
from hoso_common.storage import ObjectStorage
from hoso_sandbox_ca.config import Settings as CaSettings
from hoso_sandbox_ca.main import create_app as create_ca_app
from hoso_signing.config import Settings
from hoso_signing.main import create_app
from hoso_testing.endpoints import Endpoints, environ_set, free_port
from hoso_testing.server import serve_app
from hoso_testing.signing.harness import (
    CAPABILITY_SECRET,
    EVENT_SOURCE,
    RUN,
    TEST_BUCKET,
    SignRequestFeeder,
    start_group_at_end,
)


@dataclass
class SandboxCa:
    url: str
    port: int
    client: httpx.AsyncClient
    idp: Any
    # The phone answers only the signer's own login: citizen id -> Authorization header.
    logins: dict[str, dict[str, str]] = field(default_factory=dict)
    # Citizen id -> the IdP user, for tests that log in on the phone page itself.
    citizens: dict[str, Any] = field(default_factory=dict)
    signers: dict[str, str] = field(default_factory=dict)

    async def enroll(self, name: str) -> str:
        citizen = await self.idp.citizen(name)
        user_id = str(citizen.citizen_id)
        response = await self.client.post(
            f"{self.url}/sandbox/users", json={"user_id": user_id, "name": name}
        )
        response.raise_for_status()
        self.logins[user_id] = citizen.headers
        self.citizens[user_id] = citizen
        return user_id

    async def pending(self, user_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"{self.url}/phone/{user_id}/requests", headers=self.logins[user_id]
        )
        response.raise_for_status()
        found = list(response.json())
        self.signers |= {item["transaction_id"]: user_id for item in found}
        return found

    async def wait_pending(self, user_id: str, timeout_s: float = 60) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                pending = await self.pending(user_id)
                if pending:
                    return pending[0]
                await asyncio.sleep(0.1)

    async def decide(self, transaction_id: str, decision: str) -> httpx.Response:
        return await self.client.post(
            f"{self.url}/phone/requests/{transaction_id}/{decision}",
            headers=self.logins[self.signers[transaction_id]],
        )

    async def auto_approve(self, delay_s: float | None) -> None:
        response = await self.client.post(
            f"{self.url}/sandbox/auto-approve", json={"delay_s": delay_s}
        )
        response.raise_for_status()


@pytest.fixture(scope="session")
def ports() -> dict[str, int]:
    return {"ca": free_port(), "signing": free_port()}


@pytest_asyncio.fixture(scope="session")
async def sandbox_ca(
    endpoints: Endpoints, ports: dict[str, int], idp: Any
) -> AsyncIterator[SandboxCa]:
    port = ports["ca"]
    settings = CaSettings(
        data_dir=tempfile.mkdtemp(prefix="hoso-ca-test-"),
        public_url=f"http://127.0.0.1:{port}",
        webhook_url_vnpt=f"http://127.0.0.1:{ports['signing']}/v1/callbacks/vnpt-smartca",
        webhook_url_fpt=f"http://127.0.0.1:{ports['signing']}/v1/callbacks/fpt-esign",
        request_ttl_s=300,
    )
    async with (
        serve_app(create_ca_app(settings), port=port) as url,
        httpx.AsyncClient(timeout=30) as client,
    ):
        yield SandboxCa(url=url, port=port, client=client, idp=idp)


def signing_environ(ca_url: str, *, replica: str, group_suffix: str) -> dict[str, str]:
    """HOSO_SIGNING_* for a replica that talks to this CA and uses this run's database."""
    return {
        "HOSO_SIGNING_REPLICA_ID": replica,
        "HOSO_OBJECT_CAPABILITY_SECRET": CAPABILITY_SECRET,
        "HOSO_SIGNING_BUCKET": TEST_BUCKET,
        "HOSO_SIGNING_EVENT_SOURCE": EVENT_SOURCE,
        "HOSO_SIGNING_VALIDATION_BUCKETS": f"hoso-documents,{TEST_BUCKET}",
        "HOSO_SIGNING_MONGO_DATABASE": f"hoso_signing_test_{RUN}",
        "HOSO_SIGNING_VNPT_BASE_URL": f"{ca_url}/vnpt",
        "HOSO_SIGNING_VIETTEL_BASE_URL": f"{ca_url}/viettel",
        "HOSO_SIGNING_FPT_BASE_URL": f"{ca_url}/fpt/eSignCloud/restapi",
        "HOSO_SIGNING_TRUST_ROOTS": f"{ca_url}/pki/root.pem",
        "HOSO_SIGNING_TSA_URL": f"{ca_url}/pki/tsa",
        "HOSO_SIGNING_REQUESTS_GROUP": f"signing-{group_suffix}",
        "HOSO_SIGNING_FINISHER_GROUP": f"signing-finisher-{group_suffix}",
        "HOSO_SIGNING_POLL_INTERVAL_S": "0.5",
        "HOSO_SIGNING_FINISH_LEASE_S": "15",
        "HOSO_SIGNING_APPROVED_STALE_S": "5",
    }


@pytest_asyncio.fixture(scope="session")
async def signing_groups(endpoints: Endpoints) -> str:
    suffix = f"test-{RUN}"
    await start_group_at_end(endpoints.kafka_bootstrap, f"signing-{suffix}", topics.SIGN_REQUESTED)
    await start_group_at_end(
        endpoints.kafka_bootstrap, f"signing-finisher-{suffix}", topics.SIGN_APPROVED
    )
    return suffix


@pytest_asyncio.fixture(scope="session")
async def signing_url(
    endpoints: Endpoints,
    idp: Any,
    sandbox_ca: SandboxCa,
    ports: dict[str, int],
    signing_groups: str,
) -> AsyncIterator[str]:
    environ = signing_environ(sandbox_ca.url, replica="test-inproc", group_suffix=signing_groups)
    with environ_set(environ):
        app = create_app(Settings())
        async with serve_app(app, port=ports["signing"]) as url:
            yield url


@pytest_asyncio.fixture(scope="session")
async def feeder(endpoints: Endpoints, storage: ObjectStorage) -> AsyncIterator[SignRequestFeeder]:
    fed = await SignRequestFeeder(endpoints.kafka_bootstrap, storage, TEST_BUCKET).start()
    yield fed
    await fed.stop()


@pytest_asyncio.fixture(scope="session")
async def api(signing_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=signing_url, timeout=60) as client:
        yield client


@pytest_asyncio.fixture(scope="session")
async def nss_db(sandbox_ca: SandboxCa, tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """An NSS database trusting the sandbox root, so pdfsig can check the whole chain."""
    if subprocess.run(["which", "certutil"], capture_output=True).returncode != 0:
        return None
    directory = tmp_path_factory.mktemp("nssdb")
    root = (await sandbox_ca.client.get(f"{sandbox_ca.url}/pki/root.pem")).content
    (directory / "root.pem").write_bytes(root)
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{directory}",
            "-n",
            "hoso-sandbox-root",
            "-t",
            "CT,C,C",
            "-i",
            str(directory / "root.pem"),
        ],
        check=True,
    )
    return str(directory)


@pytest.fixture
def pdfsig(
    nss_db: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[bytes], Awaitable[str]]:
    """Run poppler's pdfsig on PDF bytes; returns its report.

    It runs as an async subprocess: pdfsig asks the in-process sandbox CA for OCSP, which
    needs this event loop free.
    """

    async def run(pdf: bytes) -> str:
        path = tmp_path_factory.mktemp("pdfsig") / "signed.pdf"
        path.write_bytes(pdf)
        command = ["pdfsig"]
        if nss_db:
            command += ["-nssdir", f"sql:{nss_db}"]
        process = await asyncio.create_subprocess_exec(
            *command, str(path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        return out.decode()

    return run
