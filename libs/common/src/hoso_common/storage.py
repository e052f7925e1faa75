"""S3 object storage on the minio client, kept off the event loop and streamed both ways."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import queue
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from minio import Minio
from minio.error import S3Error

from hoso_common.settings import S3Settings
from hoso_common.validation import check_object_key

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


class _Closed:
    pass


_EOF = _Closed()


class _ChunkPipe:
    """A blocking file-like reader fed chunk by chunk from the event loop.

    It lets the synchronous minio client read an async stream in its own thread, holding
    at most a few chunks in memory, and it hashes and counts the bytes as they pass.
    """

    def __init__(self, depth: int = 8) -> None:
        self._queue: queue.Queue[bytes | _Closed | BaseException] = queue.Queue(maxsize=depth)
        self._buffer = bytearray()
        self._done = False
        self.sha256 = hashlib.sha256()
        self.size = 0

    def put(self, item: bytes | _Closed | BaseException, timeout: float = 0.5) -> None:
        self._queue.put(item, timeout=timeout)

    def fail(self, error: BaseException) -> None:
        """Make the reader raise `error`, dropping queued chunks so the put cannot block."""
        while True:
            try:
                self._queue.put(error, timeout=0.05)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or len(self._buffer) < n):
            item = self._queue.get()
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

    def __init__(self, settings: S3Settings) -> None:
        self.client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
        )

    async def ensure_buckets(self, *buckets: str) -> None:
        for bucket in buckets:
            if not await asyncio.to_thread(self.client.bucket_exists, bucket):
                try:
                    await asyncio.to_thread(self.client.make_bucket, bucket)
                except S3Error as error:
                    if error.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise

    async def ping(self, bucket: str) -> None:
        await asyncio.to_thread(self.client.bucket_exists, bucket)

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
        pipe = _ChunkPipe()
        loop = asyncio.get_running_loop()
        upload = loop.run_in_executor(
            None,
            lambda: self.client.put_object(
                bucket,
                key,
                pipe,  # type: ignore[arg-type]  # a duck-typed reader
                length=-1,
                part_size=PART_SIZE,
                content_type=content_type,
                metadata=metadata,  # type: ignore[arg-type]
            ),
        )
        try:
            async for chunk in chunks:
                if chunk:
                    await self._feed(pipe, chunk, upload)
            await self._feed(pipe, _EOF, upload)
        except BaseException as error:
            await self._abort(pipe, upload, error)
            raise
        result = await upload
        return StoredObject(
            bucket=bucket,
            key=key,
            size=pipe.size,
            sha256=pipe.sha256.hexdigest(),
            etag=str(result.etag),
        )

    @staticmethod
    async def _feed(pipe: _ChunkPipe, item: bytes | _Closed, upload: asyncio.Future[Any]) -> None:
        while True:
            if upload.done():
                upload.result()  # re-raise the uploader's error
                raise RuntimeError("upload finished before its input ended")
            try:
                pipe.put(item, timeout=0)
                return
            except queue.Full:
                await asyncio.sleep(0.002)

    @staticmethod
    async def _abort(pipe: _ChunkPipe, upload: asyncio.Future[Any], error: BaseException) -> None:
        await asyncio.to_thread(pipe.fail, RuntimeError(f"upload aborted: {error!r}"))
        # The uploader fails with the abort error by design; the caller re-raises the cause.
        with contextlib.suppress(Exception):
            await upload

    async def put_bytes(
        self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        check_object_key(key)
        if len(data) > PART_SIZE:

            async def one() -> AsyncIterator[bytes]:
                yield data

            return await self.upload_stream(bucket, key, one(), content_type=content_type)
        # One part: a single PUT from one worker thread, without the streaming pipe.
        result = await asyncio.to_thread(
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
        await asyncio.to_thread(
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
            await asyncio.to_thread(self.client.fget_object, bucket, key, path)
        except S3Error as error:
            raise self._translate(error) from error

    async def stream(
        self, bucket: str, key: str, chunk_size: int = DOWNLOAD_CHUNK
    ) -> AsyncIterator[bytes]:
        """Open an object and yield it chunk by chunk; NotFound is raised before the first yield."""
        check_object_key(key)
        try:
            response = await asyncio.to_thread(self.client.get_object, bucket, key)
        except S3Error as error:
            raise self._translate(error) from error
        return self._iterate(response, chunk_size)

    @staticmethod
    async def _iterate(response: Any, chunk_size: int) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(response.read, chunk_size):
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
            return await asyncio.to_thread(fetch)
        except S3Error as error:
            raise self._translate(error) from error

    async def stat(self, bucket: str, key: str) -> ObjectInfo:
        check_object_key(key)
        try:
            stat = await asyncio.to_thread(self.client.stat_object, bucket, key)
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
            await asyncio.to_thread(
                self.client.copy_object, dst_bucket, dst_key, CopySource(src_bucket, src_key)
            )
        except S3Error as error:
            raise self._translate(error) from error

    async def delete(self, bucket: str, key: str) -> None:
        check_object_key(key)
        await asyncio.to_thread(self.client.remove_object, bucket, key)

    async def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        def collect() -> list[str]:
            return [
                str(obj.object_name)
                for obj in self.client.list_objects(bucket, prefix=prefix, recursive=True)
            ]

        return await asyncio.to_thread(collect)

    async def presigned_get_url(
        self, bucket: str, key: str, expires: timedelta = timedelta(minutes=15)
    ) -> str:
        check_object_key(key)
        return await asyncio.to_thread(self.client.presigned_get_object, bucket, key, expires)

    @staticmethod
    def _translate(error: S3Error) -> Exception:
        if error.code in {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}:
            return ObjectNotFound(f"{error.bucket_name}/{error.object_name}")
        return error
