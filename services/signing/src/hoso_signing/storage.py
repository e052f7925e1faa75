"""Object-store use of the signing service: the file it signs and the files it keeps.

It reads the document to sign from the caller's bucket, by the reference in the request, and
keeps two kinds of its own in its bucket: the prepared state of a PAdES signature (one object
per attempt, so a slower duplicate attempt never overwrites the one whose digest won) and the
signed file (one key per request, so a retry after a crash overwrites instead of adding).
"""

from __future__ import annotations

import uuid

from hoso_common.storage import StoredObject
from hoso_signing.usecases.ports import FileStore


class SigningFiles:
    def __init__(self, store: FileStore, bucket: str) -> None:
        self.store = store
        self.bucket = bucket

    async def read_source(self, bucket: str, key: str, *, limit: int) -> bytes:
        """The document to sign; `ValueError` above `limit` bytes, `ObjectNotFound` if gone."""
        return await self.store.read_bytes(bucket, key, limit=limit)

    async def keep_prepared(self, request_id: str, bundle: bytes) -> str:
        """Store one attempt's prepared state; its key."""
        key = f"prepared/{request_id}/{uuid.uuid4().hex}.bson"
        await self.store.put_bytes(
            self.bucket, key, bundle, content_type="application/octet-stream"
        )
        return key

    async def read_prepared(self, key: str) -> bytes:
        return await self.store.read_bytes(self.bucket, key)

    def signed_key(self, request_id: str, filename: str) -> str:
        return f"signed/{request_id}/{filename}"

    async def keep_signed(
        self, request_id: str, filename: str, data: bytes, *, content_type: str
    ) -> StoredObject:
        return await self.store.put_bytes(
            self.bucket, self.signed_key(request_id, filename), data, content_type=content_type
        )
