"""S3 object storage on the minio client, kept off the event loop and streamed both ways."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import io
import queue
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import certifi
import urllib3
from minio import Minio
from minio.error import S3Error

from hoso_common.errors import ServiceUnavailable
from hoso_common.faults import is_transient
from hoso_common.settings import S3Settings
from hoso_common.validation import check_object_key

T = TypeVar("T")

# The S3 minimum part size: minio uploads three parts at once, so this bounds the memory
# a streamed upload holds to a few parts.
PART_SIZE = 5 * 1024 * 1024
DOWNLOAD_CHUNK = 256 * 1024


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    sha256: str
    etag: str


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str
    content_type: str | None
    metadata: dict[str, str]


class ObjectNotFound(Exception):
    pass


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    detail = "Kho lưu trữ tệp tạm thời không khả dụng. Vui lòng thử lại sau."


class _Closed:
    pass


_EOF = _Closed()


class _ChunkPipe:
    """A blocking file-like reader fed chunk by chunk from the event loop.

    It lets the synchronous minio client read an async stream in its own thread, holding
    at most a few chunks in memory, and it hashes and counts the bytes as they pass.
    """

    def __init__(self, depth: int = 8, stall_timeout_s: float = 60.0) -> None:
        self._queue: queue.Queue[bytes | _Closed | BaseException] = queue.Queue(maxsize=depth)
        self._buffer = bytearray()
        self._done = False
        self._failure_lock = threading.Lock()
        self.stall_timeout_s = stall_timeout_s
        self.sha256 = hashlib.sha256()
        self.size = 0

    def put(self, item: bytes | _Closed | BaseException, timeout: float = 0.5) -> None:
        self._queue.put(item, timeout=timeout)

    def fail(self, error: BaseException) -> None:
        """Make the reader raise `error`; never blocks, so the event loop may call it directly.

        Queued chunks are dropped to make room: the abort path must not need a worker thread,
        since every worker may be a reader waiting on a pipe like this one.
        """
        with self._failure_lock:
            while True:
                try:
                    self._queue.put_nowait(error)
                    return
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        self._queue.get_nowait()

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or len(self._buffer) < n):
            try:
                item = self._queue.get(timeout=self.stall_timeout_s)
            except queue.Empty:
                # The writer stopped feeding: give the worker thread back instead of waiting on.
                raise TimeoutError(
                    f"no upload data for {self.stall_timeout_s:.0f}s; the client stalled"
                ) from None
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, _Closed):
                self._done = True
                break
            self._buffer.extend(item)
        size = len(self._buffer) if n < 0 else min(n, len(self._buffer))
        # Slicing the bytearray would copy the part once more before bytes() copies it.
        with memoryview(self._buffer) as view:
            out = bytes(view[:size])
        del self._buffer[:size]
        self.sha256.update(out)
        self.size += len(out)
        return out


class ObjectStorage:
    """All object-store calls of a service go through this adapter."""

    def __init__(self, settings: S3Settings, *, client: Minio | None = None) -> None:
        # minio's own client waits 5 minutes per socket operation and retries five times,
        # which turned a stopped S3 server into requests hanging for many seconds.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(
                connect=settings.s3_connect_timeout_s, read=settings.s3_read_timeout_s
            ),
            maxsize=settings.s3_workers,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            retries=urllib3.Retry(
                total=settings.s3_retries,
                backoff_factor=0.1,
                status_forcelist=[500, 502, 503, 504],
            ),
        )
        self.client = client or Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
            http_client=http,
        )
        self.stall_timeout_s = settings.s3_stall_timeout_s
        # The adapter's own threads: a blocked S3 call can never take the threads the rest
        # of the process (asyncio.to_thread, DNS, ...) depends on, nor the reverse.
        self._executor = ThreadPoolExecutor(
            max_workers=settings.s3_workers, thread_name_prefix="s3"
        )
        # Streamed uploads hold their thread while the client sends the body, so they get
        # threads of their own: short calls (readiness, reads) never queue behind them.
        self._upload_executor = ThreadPoolExecutor(
            max_workers=settings.s3_workers, thread_name_prefix="s3-upload"
        )
        self._pipes: set[_ChunkPipe] = set()

    async def _run(
        self,
        call: Callable[..., T],
        /,
        *args: Any,
        executor: ThreadPoolExecutor | None = None,
        **kwargs: Any,
    ) -> T:
        """Run one blocking client call on the adapter's threads; an outage becomes a 503."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                executor or self._executor, functools.partial(call, *args, **kwargs)
            )
        except S3Error as error:
            if is_transient(error):
                raise StorageUnavailable() from error
            raise
        except StorageUnavailable:
            raise
        except Exception as error:
            if is_transient(error):
                raise StorageUnavailable() from error
            raise

    def close(self) -> None:
        """Release every worker at shutdown: pending readers fail, queued calls are dropped."""
        for pipe in list(self._pipes):
            pipe.fail(StorageUnavailable("shutting down"))
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._upload_executor.shutdown(wait=False, cancel_futures=True)

    async def ensure_buckets(self, *buckets: str) -> None:
        for bucket in buckets:
            if not await self._run(self.client.bucket_exists, bucket):
                try:
                    await self._run(self.client.make_bucket, bucket)
                except S3Error as error:
                    if error.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise

    async def ping(self, bucket: str) -> None:
        await self._run(self.client.bucket_exists, bucket)

    async def upload_stream(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        """Stream chunks into one object; an exception from `chunks` aborts the upload."""
        check_object_key(key)
        pipe = _ChunkPipe(stall_timeout_s=self.stall_timeout_s)
        self._pipes.add(pipe)
        upload = asyncio.ensure_future(
            self._run(
                self.client.put_object,
                bucket,
                key,
                pipe,  # a duck-typed reader
                length=-1,
                part_size=PART_SIZE,
                content_type=content_type,
                metadata=metadata,
                executor=self._upload_executor,
            )
        )
        try:
            try:
                async for chunk in chunks:
                    if chunk:
                        await self._feed(pipe, chunk, upload, self.stall_timeout_s)
                await self._feed(pipe, _EOF, upload, self.stall_timeout_s)
            except BaseException as error:
                await self._abort(pipe, upload, error, self.stall_timeout_s)
                raise
            result = await upload
        finally:
            self._pipes.discard(pipe)
        return StoredObject(
            bucket=bucket,
            key=key,
            size=pipe.size,
            sha256=pipe.sha256.hexdigest(),
            etag=str(result.etag),
        )

    @staticmethod
    async def _feed(
        pipe: _ChunkPipe, item: bytes | _Closed, upload: asyncio.Future[Any], stall_s: float
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + stall_s
        while True:
            if upload.done():
                upload.result()  # re-raise the uploader's error
                raise RuntimeError("upload finished before its input ended")
            try:
                pipe.put(item, timeout=0)
                return
            except queue.Full:
                # Nobody reads: every storage worker is busy, or S3 stopped accepting bytes.
                if loop.time() > deadline:
                    raise StorageUnavailable() from TimeoutError(
                        f"the storage worker took no data for {stall_s:.0f}s"
                    )
                await asyncio.sleep(0.002)

    @staticmethod
    async def _abort(
        pipe: _ChunkPipe, upload: asyncio.Future[Any], error: BaseException, wait_s: float
    ) -> None:
        # Called right here on the event loop: fail() never blocks, and going through a
        # worker thread could wait for ever when all of them are readers of pipes.
        pipe.fail(RuntimeError(f"upload aborted: {error!r}"))
        # The uploader fails with the abort error by design; the caller re-raises the cause.
        # A call stuck in a socket is bounded by the client's timeouts, and by this wait.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(upload), timeout=wait_s)
        if not upload.done():
            upload.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def put_bytes(
        self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        check_object_key(key)
        if len(data) > PART_SIZE:

            async def one() -> AsyncIterator[bytes]:
                yield data

            return await self.upload_stream(bucket, key, one(), content_type=content_type)
        # One part: a single PUT from one worker thread, without the streaming pipe.
        result = await self._run(
            self.client.put_object,
            bucket,
            key,
            io.BytesIO(data),
            length=len(data),
            content_type=content_type,
        )
        return StoredObject(
            bucket=bucket,
            key=key,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            etag=str(result.etag),
        )

    async def upload_file(
        self, bucket: str, key: str, path: str, *, content_type: str = "application/octet-stream"
    ) -> None:
        check_object_key(key)
        await self._run(
            self.client.fput_object,
            bucket,
            key,
            path,
            content_type=content_type,
            part_size=PART_SIZE,
        )

    async def download_file(self, bucket: str, key: str, path: str) -> None:
        check_object_key(key)
        try:
            await self._run(self.client.fget_object, bucket, key, path)
        except S3Error as error:
            raise self._translate(error) from error

    async def stream(
        self, bucket: str, key: str, chunk_size: int = DOWNLOAD_CHUNK
    ) -> AsyncIterator[bytes]:
        """Open an object and yield it chunk by chunk; NotFound is raised before the first yield."""
        check_object_key(key)
        try:
            response = await self._run(self.client.get_object, bucket, key)
        except S3Error as error:
            raise self._translate(error) from error
        return self._iterate(response, chunk_size)

    async def _iterate(self, response: Any, chunk_size: int) -> AsyncIterator[bytes]:
        try:
            while chunk := await self._run(response.read, chunk_size):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def read_bytes(self, bucket: str, key: str, *, limit: int = 64 * 1024 * 1024) -> bytes:
        """Read a whole small object (signing inputs, rendered forms); larger ones are refused."""
        check_object_key(key)

        def fetch() -> bytes:
            response = self.client.get_object(bucket, key)
            try:
                announced = response.headers.get("Content-Length")
                if announced is not None and int(announced) > limit:
                    raise ValueError(f"object {key} is {announced} bytes, over the {limit} limit")
                chunks: list[bytes] = []
                size = 0
                while chunk := response.read(DOWNLOAD_CHUNK * 16):
                    size += len(chunk)
                    if size > limit:
                        raise ValueError(f"object {key} is over the {limit} limit")
                    chunks.append(chunk)
                return b"".join(chunks)
            finally:
                response.close()
                response.release_conn()

        # One GET in one worker thread: no separate stat, no thread hop per chunk.
        try:
            return await self._run(fetch)
        except S3Error as error:
            raise self._translate(error) from error

    async def stat(self, bucket: str, key: str) -> ObjectInfo:
        check_object_key(key)
        try:
            stat = await self._run(self.client.stat_object, bucket, key)
        except S3Error as error:
            raise self._translate(error) from error
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(stat.size or 0),
            etag=str(stat.etag),
            content_type=stat.content_type,
            metadata={str(k): str(v) for k, v in (stat.metadata or {}).items()},
        )

    async def exists(self, bucket: str, key: str) -> bool:
        try:
            await self.stat(bucket, key)
        except ObjectNotFound:
            return False
        return True

    async def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> None:
        """Server-side copy; the bytes never pass through this process."""
        check_object_key(src_key)
        check_object_key(dst_key)
        from minio.commonconfig import CopySource

        try:
            await self._run(
                self.client.copy_object, dst_bucket, dst_key, CopySource(src_bucket, src_key)
            )
        except S3Error as error:
            raise self._translate(error) from error

    async def delete(self, bucket: str, key: str) -> None:
        check_object_key(key)
        await self._run(self.client.remove_object, bucket, key)

    async def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        def collect() -> list[str]:
            return [
                str(obj.object_name)
                for obj in self.client.list_objects(bucket, prefix=prefix, recursive=True)
            ]

        return await self._run(collect)

    async def presigned_get_url(
        self, bucket: str, key: str, expires: timedelta = timedelta(minutes=15)
    ) -> str:
        check_object_key(key)
        return await self._run(self.client.presigned_get_object, bucket, key, expires)

    @staticmethod
    def _translate(error: S3Error) -> Exception:
        if error.code in {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}:
            return ObjectNotFound(f"{error.bucket_name}/{error.object_name}")
        return error
