"""Object-store use of the documents service: the citizens' files live in its own bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator

from hoso_common.storage import ObjectStorage, StoredObject


class VaultFiles:
    """The vault's bucket: versions and detached signatures, under each document's prefix."""

    def __init__(self, storage: ObjectStorage, bucket: str) -> None:
        self.storage = storage
        self.bucket = bucket

    async def upload(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str
    ) -> StoredObject:
        """Stream a file into the bucket under `key`."""
        return await self.storage.upload_stream(self.bucket, key, chunks, content_type=content_type)

    async def copy_in(self, bucket: str, key: str, to_key: str) -> None:
        """Server-side copy of another service's object (a signed file, a returned result)."""
        await self.storage.copy(bucket, key, self.bucket, to_key)

    async def stream(self, bucket: str, key: str) -> AsyncIterator[bytes]:
        """A stored file's bytes; `ObjectNotFound` when the object is gone."""
        return await self.storage.stream(bucket, key)

    async def read(self, bucket: str, key: str) -> bytes:
        return await self.storage.read_bytes(bucket, key)

    async def delete(self, key: str) -> None:
        await self.storage.delete(self.bucket, key)

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every object of one document (its folder in the bucket)."""
        for key in await self.storage.list_keys(self.bucket, prefix):
            await self.storage.delete(self.bucket, key)
