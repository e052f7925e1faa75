"""Upload benchmark: a large file through gateway + documents vs. straight to S3 with minio.

Run against the running stack (`make up`), whose documents service must accept the file
size (start it with HOSO_DOCUMENTS_MAX_UPLOAD_BYTES=110MB). The last line is
`upload_ratio=<service/direct> service_MBps=<x> direct_MBps=<y> rss_growth_MB=<z>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psutil
from minio import Minio

from hoso_testing.identity import IdpClient

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000
MiB = 1024 * 1024
CHUNK = 1 * MiB
BOUNDARY = "hosoBenchBoundary"


def documents_process(port: int) -> psutil.Process | None:
    """The process serving documents: the one listening on its port, else the pid file's."""
    for conn in psutil.net_connections(kind="tcp"):
        if (
            conn.status == psutil.CONN_LISTEN
            and conn.laddr
            and conn.laddr.port == port
            and conn.pid
        ):
            return psutil.Process(conn.pid)
    pid_file = REPO / ".stack" / "pids" / "documents.json"
    if pid_file.exists():
        record = psutil.Process(json.loads(pid_file.read_text())["pid"])
        candidates = [record, *record.children(recursive=True)]
        return max(candidates, key=lambda p: p.memory_info().rss)
    return None


def make_file(path: Path, size: int) -> None:
    block = b"%PDF-1.7\n" + os.urandom(CHUNK - 9)
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            out.write(piece)
            written += len(piece)


def multipart_parts(path: Path) -> tuple[bytes, bytes, int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        f"Benchmark {uuid.uuid4().hex[:8]}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + path.stat().st_size + len(tail)


async def body(path: Path, head: bytes, tail: bytes) -> AsyncIterator[bytes]:
    yield head
    with path.open("rb") as source:
        while chunk := await asyncio.to_thread(source.read, CHUNK):
            yield chunk
    yield tail


class RssSampler:
    def __init__(self, process: psutil.Process | None) -> None:
        self.process = process
        self.base = process.memory_info().rss if process else 0
        self.peak = self.base
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RssSampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        if self._task:
            await self._task

    async def _run(self) -> None:
        while self.process and not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.process.memory_info().rss)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 0.01)

    @property
    def growth(self) -> int:
        return self.peak - self.base


async def upload_through_service(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], path: Path
) -> tuple[float, str]:
    head, tail, length = multipart_parts(path)
    started = time.perf_counter()
    response = await client.post(
        url,
        headers={
            **headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
        },
        content=body(path, head, tail),
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        sys.exit(
            f"service upload failed: {response.status_code} {response.text[:300]}\n"
            "(is documents started with HOSO_DOCUMENTS_MAX_UPLOAD_BYTES=110MB?)"
        )
    document_id = str(response.json()["id"])
    return elapsed, document_id


def upload_direct(minio: Minio, bucket: str, path: Path) -> float:
    key = f"bench/{uuid.uuid4().hex}"
    started = time.perf_counter()
    minio.fput_object(bucket, key, str(path), content_type="application/pdf")
    elapsed = time.perf_counter() - started
    minio.remove_object(bucket, key)
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--gateway", default=os.environ.get("HOSO_TEST_GATEWAY_URL", "http://127.0.0.1:8080")
    )
    parser.add_argument("--path", default="/api/documents/v1/documents", help="upload route")
    parser.add_argument(
        "--keycloak",
        default=os.environ.get("HOSO_TEST_KEYCLOAK_URL", "http://127.0.0.1:8180/auth"),
        help="Keycloak's root; the citizen is a fresh user of the hoso realm",
    )
    parser.add_argument("--service-port", type=int, default=8101, help="to find the process")
    parser.add_argument("--size-mb", type=int, default=100, help="file size in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--s3", default=os.environ.get("HOSO_S3_ENDPOINT", "127.0.0.1:9000"))
    parser.add_argument("--bucket", default="hoso-bench")
    args = parser.parse_args()

    minio = Minio(
        args.s3,
        access_key=os.environ.get("HOSO_S3_ACCESS_KEY", "hoso-local"),
        secret_key=os.environ.get("HOSO_S3_SECRET_KEY", "hoso-local-secret"),
        secure=False,
    )
    if not minio.bucket_exists(args.bucket):
        minio.make_bucket(args.bucket)
    keycloak = IdpClient(
        args.keycloak,
        admin_user=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN", "admin"),
        admin_password=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN_PASSWORD", "hoso-local-admin"),
    )
    citizen = await keycloak.citizen("Người Đo Hiệu Năng")
    await keycloak.aclose()
    process = documents_process(args.service_port)
    print(f"documents process: {process.pid if process else 'not found (rss not measured)'}")
    url = f"{args.gateway.rstrip('/')}{args.path}"
    size = args.size_mb * MiB

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bench.pdf"
        small = Path(scratch) / "warmup.pdf"
        make_file(path, size)
        make_file(small, 2 * MiB)
        service_times: list[float] = []
        direct_times: list[float] = []
        growth = 0
        async with httpx.AsyncClient(timeout=600) as client:
            _, warm_id = await upload_through_service(client, url, citizen.headers, small)
            created = [warm_id]
            upload_direct(minio, args.bucket, small)
            for round_no in range(1, args.rounds + 1):
                async with RssSampler(process) as sampler:
                    elapsed, document_id = await upload_through_service(
                        client, url, citizen.headers, path
                    )
                created.append(document_id)
                growth = max(growth, sampler.growth)
                direct = await asyncio.to_thread(upload_direct, minio, args.bucket, path)
                service_times.append(elapsed)
                direct_times.append(direct)
                print(
                    f"round {round_no}: service {size / MB / elapsed:.1f} MB/s "
                    f"({elapsed:.2f}s), direct {size / MB / direct:.1f} MB/s ({direct:.2f}s), "
                    f"rss growth {sampler.growth / MB:.1f} MB"
                )
            for document_id in created:
                await client.delete(f"{url}/{document_id}", headers=citizen.headers)

    service_mbps = size / MB / statistics.median(service_times)
    direct_mbps = size / MB / statistics.median(direct_times)
    print(
        f"upload_ratio={service_mbps / direct_mbps:.2f} service_MBps={service_mbps:.1f} "
        f"direct_MBps={direct_mbps:.1f} rss_growth_MB={growth / MB:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
