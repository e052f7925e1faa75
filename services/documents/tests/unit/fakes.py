"""In-memory stand-ins for the vault's repository and object storage."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, cast

from hoso_common.events import EventData
from hoso_common.storage import ObjectNotFound, ObjectStorage, StoredObject
from hoso_documents.config import Settings
from hoso_documents.domain.lifecycle import DELETABLE, SIGNABLE
from hoso_documents.domain.models import (
    VISIBLE_STATUSES,
    Document,
    DocumentStatus,
    PendingSignature,
)
from hoso_documents.repository import DocumentRepository
from hoso_documents.service import Vault


class FakeDocuments:
    """Documents by id with the repository's conditional writes, and each one's outbox."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.outbox: dict[str, list[EventData]] = {}

    def _put(self, document: Document, **changes: Any) -> Document:
        changed = document.model_copy(update=changes)
        self.documents[document.id] = changed
        return changed

    async def start_upload(self, document_id: str, owner_id: str, key: str, now: datetime) -> None:
        self.documents[document_id] = Document(
            id=document_id,
            owner_id=owner_id,
            name="",
            status=DocumentStatus.UPLOADING,
            created_at=now,
            updated_at=now,
        )
        self.outbox[document_id] = []

    async def finish_upload(self, document_id: str, **change: Any) -> Document | None:
        document = self.documents.get(document_id)
        if document is None or document.status is not DocumentStatus.UPLOADING:
            return None
        self.outbox[document_id].extend(change.pop("events"))
        del change["now"]
        return self._put(document, versions=[change.pop("version")], **change)

    async def abandon_upload(self, document_id: str) -> None:
        document = self.documents.get(document_id)
        if document is not None and document.status is DocumentStatus.UPLOADING:
            del self.documents[document_id]

    async def add_received(self, document: Document) -> bool:
        if document.id in self.documents:
            return False
        self.documents[document.id] = document
        self.outbox[document.id] = []
        return True

    async def get(self, owner_id: str, document_id: str) -> Document | None:
        document = self.documents.get(document_id)
        if document is None or document.owner_id != owner_id:
            return None
        return document if document.status in VISIBLE_STATUSES else None

    async def get_any(self, document_id: str) -> Document | None:
        return self.documents.get(document_id)

    async def request_signing(
        self, owner_id: str, document_id: str, pending: PendingSignature, *change: Any
    ) -> Document | None:
        now, events = change
        document = await self.get(owner_id, document_id)
        if document is None or document.status not in SIGNABLE or not document.versions:
            return None
        self.outbox[document_id].extend(events)
        return self._put(
            document, status=DocumentStatus.SIGNING, pending=pending, failure=None, updated_at=now
        )

    async def complete_signing(self, document_id: str, request_id: str, **change: Any) -> bool:
        document = self.documents.get(document_id)
        pending = document.pending if document else None
        if document is None or pending is None or pending.request_id != request_id:
            return False
        if document.status is not DocumentStatus.SIGNING:
            return False
        version = change.pop("version")
        versions = [*document.versions, *([version] if version else [])]
        self._put(
            document,
            status=change["status"],
            pending=None,
            failure=change["failure"],
            versions=versions,
        )
        return True

    async def mark_deleting(
        self, document_id: str, now: datetime, *, owner_id: str | None = None
    ) -> Document | None:
        document = self.documents.get(document_id)
        if document is None or document.status not in DELETABLE:
            return None
        if owner_id is not None and document.owner_id != owner_id:
            return None
        self._put(document, status=DocumentStatus.DELETING)
        return document

    async def remove_deleted(self, document_id: str) -> bool:
        document = self.documents.get(document_id)
        if document is None or document.status is not DocumentStatus.DELETING:
            return False
        if self.outbox[document_id]:
            return False
        del self.documents[document_id]
        return True


class FakeObjectStorage:
    """Buckets as dicts of key to bytes; the calls the vault makes of the S3 adapter."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    async def upload_stream(
        self, bucket: str, key: str, chunks: AsyncIterator[bytes], *, content_type: str
    ) -> StoredObject:
        # The object exists only once the whole stream was read, as with a multipart upload.
        data = b"".join([chunk async for chunk in chunks])
        self.objects[bucket, key] = data
        digest = hashlib.sha256(data).hexdigest()
        return StoredObject(bucket=bucket, key=key, size=len(data), sha256=digest, etag="e")

    async def read_bytes(self, bucket: str, key: str) -> bytes:
        if (bucket, key) not in self.objects:
            raise ObjectNotFound(key)
        return self.objects[bucket, key]

    async def stream(self, bucket: str, key: str) -> AsyncIterator[bytes]:
        data = await self.read_bytes(bucket, key)

        async def chunks() -> AsyncIterator[bytes]:
            yield data

        return chunks()

    async def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> None:
        self.objects[dst_bucket, dst_key] = await self.read_bytes(src_bucket, src_key)

    async def delete(self, bucket: str, key: str) -> None:
        self.objects.pop((bucket, key), None)

    async def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))


def vault(documents: FakeDocuments, storage: FakeObjectStorage, nudged: list[str]) -> Vault:
    """The vault's use cases over the fakes (they stand where Mongo and S3 do)."""
    return Vault(
        cast(DocumentRepository, documents),
        cast(ObjectStorage, storage),
        Settings(),
        nudge=nudged.append,
    )
