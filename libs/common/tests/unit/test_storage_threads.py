"""The storage adapter's thread use: stuck uploads can neither block an abort nor readiness."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import urllib3.exceptions
from minio.error import S3Error

from hoso_common.errors import ServiceUnavailable
from hoso_common.settings import S3Settings
from hoso_common.storage import PART_SIZE, ObjectStorage, StorageUnavailable


class Result:
    etag = "etag-1"


class FakeMinio:
    """Reads an upload's body like minio does; every other call answers at once."""

    def __init__(self) -> None:
        self.reading = threading.Semaphore(0)
        self.uploaded: dict[str, bytes] = {}
        self.down = False

    def put_object(self, bucket: str, key: str, data: Any, length: int, **_: Any) -> Result:
        self.reading.release()
        body = bytearray()
        while part := data.read(PART_SIZE if length < 0 else length):
            body.extend(part)
            if length >= 0:
                break
        self.uploaded[key] = bytes(body)
        return Result()

    def bucket_exists(self, bucket: str) -> bool:
        if self.down:
            raise urllib3.exceptions.MaxRetryError(None, "/", reason=ConnectionRefusedError())  # type: ignore[arg-type]
        return True

    def remove_object(self, bucket: str, key: str) -> None:
        raise S3Error(None, "ServiceUnavailable", "down", "r", "h", None, bucket, key)  # type: ignore[arg-type]


def settings(**overrides: Any) -> S3Settings:
    return S3Settings(**{"s3_workers": 2, "s3_stall_timeout_s": 30.0, **overrides})


async def stalled(release: asyncio.Event, fail: bool) -> AsyncIterator[bytes]:
    yield b"first bytes"
    await release.wait()
    if fail:
        raise RuntimeError("the client went away")
    yield b"last bytes"


async def test_an_abort_needs_no_worker_while_every_worker_waits_on_an_upload() -> None:
    # The process's default threads are scarce too, as on a 2-core machine under load.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2))
    client = FakeMinio()
    storage = ObjectStorage(settings(), client=client)  # type: ignore[arg-type]
    release = asyncio.Event()
    uploads = [
        asyncio.create_task(storage.upload_stream("b", f"k{i}", stalled(release, fail=True)))
        for i in range(2)
    ]
    for _ in range(2):  # both workers are now inside put_object, reading
        await asyncio.to_thread(client.reading.acquire)
    await asyncio.wait_for(storage.ping("b"), timeout=2)  # readiness still answers
    release.set()
    done, pending = await asyncio.wait(uploads, timeout=3)
    assert not pending, "an aborted upload waited for a worker thread"
    for task in done:
        with pytest.raises(RuntimeError, match="went away"):
            task.result()
    storage.close()


async def test_an_upload_whose_client_stalls_gives_its_worker_back() -> None:
    client = FakeMinio()
    storage = ObjectStorage(settings(s3_workers=1, s3_stall_timeout_s=0.3), client=client)  # type: ignore[arg-type]
    late = asyncio.Event()
    upload = asyncio.create_task(storage.upload_stream("b", "k", stalled(late, fail=False)))
    await asyncio.to_thread(client.reading.acquire)
    # The reader gives up on the silent client and frees its thread for the next upload...
    await asyncio.sleep(1.0)
    released = asyncio.create_task(
        storage.upload_stream("b", "next", stalled(asyncio.Event(), fail=False))
    )
    await asyncio.wait_for(asyncio.to_thread(client.reading.acquire), timeout=3)
    # ...and the stalled client's next bytes learn that its upload is over.
    late.set()
    with pytest.raises(StorageUnavailable):
        await asyncio.wait_for(upload, timeout=3)
    released.cancel()
    storage.close()


async def test_whole_uploads_complete() -> None:
    client = FakeMinio()
    storage = ObjectStorage(settings(), client=client)  # type: ignore[arg-type]
    release = asyncio.Event()
    release.set()
    stored = await storage.upload_stream("b", "k", stalled(release, fail=False))
    assert client.uploaded["k"] == b"first byteslast bytes"
    assert stored.size == len(b"first byteslast bytes")
    storage.close()


async def test_an_unreachable_store_is_a_service_unavailable() -> None:
    client = FakeMinio()
    client.down = True
    storage = ObjectStorage(settings(), client=client)  # type: ignore[arg-type]
    with pytest.raises(StorageUnavailable) as raised:
        await storage.ping("b")
    assert isinstance(raised.value, ServiceUnavailable)
    assert raised.value.status == 503
    assert raised.value.headers == {"Retry-After": "5"}
    with pytest.raises(StorageUnavailable):
        await storage.delete("b", "k")
    storage.close()


async def test_closing_frees_the_workers_of_uploads_still_open() -> None:
    """At shutdown no worker stays inside an upload, so the process can exit in its grace."""
    # Only this adapter's workers: other adapters of the same test process have their own.
    before = set(threading.enumerate())
    client = FakeMinio()
    storage = ObjectStorage(settings(), client=client)  # type: ignore[arg-type]
    upload = asyncio.create_task(storage.upload_stream("b", "k", stalled(asyncio.Event(), False)))
    await asyncio.to_thread(client.reading.acquire)
    storage.close()
    workers = [
        t for t in threading.enumerate() if t.name.startswith("s3-upload") and t not in before
    ]
    assert workers, "the upload ran on a storage worker"
    await asyncio.to_thread(lambda: [t.join(timeout=10) for t in workers])
    assert not any(t.is_alive() for t in workers), "a storage worker outlived the shutdown"
    upload.cancel()
