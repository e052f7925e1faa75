"""The S3 server: put/get/stat, presigned URLs over plain HTTP, multipart uploads."""

import hashlib
import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from hoso_common.storage import ObjectNotFound, ObjectStorage

pytestmark = pytest.mark.integration

BUCKET = "hoso-test"


@pytest.fixture
async def bucket(storage: ObjectStorage) -> str:
    await storage.ensure_buckets(BUCKET)
    return BUCKET


async def test_put_get_and_stat(storage: ObjectStorage, bucket: str) -> None:
    key = f"test/{uuid.uuid4()}/giấy tờ.txt"
    data = "Giấy khai sinh của Nguyễn Văn An".encode()
    stored = await storage.put_bytes(bucket, key, data, content_type="text/plain")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    info = await storage.stat(bucket, key)
    assert info.size == len(data)
    assert await storage.read_bytes(bucket, key) == data
    await storage.delete(bucket, key)
    with pytest.raises(ObjectNotFound):
        await storage.stat(bucket, key)


async def test_presigned_get_url_is_fetched_over_plain_http(
    storage: ObjectStorage, bucket: str
) -> None:
    key = f"test/{uuid.uuid4()}.bin"
    data = os.urandom(4096)
    await storage.put_bytes(bucket, key, data)
    url = await storage.presigned_get_url(bucket, key)
    assert url.startswith("http://")
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        tampered = await client.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=00"))
    assert response.status_code == 200
    assert response.content == data
    assert tampered.status_code == 403


async def test_multipart_upload_streams_many_parts(storage: ObjectStorage, bucket: str) -> None:
    key = f"test/{uuid.uuid4()}.bin"
    digest = hashlib.sha256()
    chunk = os.urandom(1024 * 1024)
    total = 20  # 20 MiB, i.e. three parts of 8 MiB

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(total):
            digest.update(chunk)
            yield chunk

    stored = await storage.upload_stream(bucket, key, chunks())
    assert stored.size == total * len(chunk)
    assert stored.sha256 == digest.hexdigest()
    assert "-" in stored.etag, "a multipart upload has a composite ETag"
    downloaded = hashlib.sha256()
    async for part in await storage.stream(bucket, key):
        downloaded.update(part)
    assert downloaded.hexdigest() == digest.hexdigest()
    await storage.delete(bucket, key)


async def test_an_aborted_stream_leaves_no_object(storage: ObjectStorage, bucket: str) -> None:
    key = f"test/{uuid.uuid4()}.bin"

    async def failing() -> AsyncIterator[bytes]:
        for _ in range(12):
            yield os.urandom(1024 * 1024)
        raise ValueError("too large")

    with pytest.raises(ValueError, match="too large"):
        await storage.upload_stream(bucket, key, failing())
    assert not await storage.exists(bucket, key)


async def test_read_bytes_refuses_a_missing_or_oversized_object(
    storage: ObjectStorage, bucket: str
) -> None:
    key = f"limits/{uuid.uuid4().hex}"
    with pytest.raises(ObjectNotFound):
        await storage.read_bytes(bucket, key)
    data = os.urandom(300_000)
    stored = await storage.put_bytes(bucket, key, data)
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(ValueError, match="limit"):
        await storage.read_bytes(bucket, key, limit=len(data) - 1)
    assert await storage.read_bytes(bucket, key, limit=len(data)) == data
