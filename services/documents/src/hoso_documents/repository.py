"""Every MongoDB query of the documents service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hoso_common.events import EventData
from hoso_common.outbox import with_events
from hoso_common.reconciler import Waiting
from hoso_documents.domain.lifecycle import DELETABLE, SAVABLE, SIGNABLE
from hoso_documents.domain.models import (
    VISIBLE_STATUSES,
    Document,
    DocumentStatus,
    PendingSignature,
    SignFailure,
    Version,
)

COLLECTION = "documents"
Raw = dict[str, Any]
SortOrder = Literal["asc", "desc"]

_EXPIRABLE = [DocumentStatus.DRAFT, DocumentStatus.SIGNED, DocumentStatus.SIGN_FAILED]


def to_document(raw: Raw) -> Document:
    return Document.model_validate({**raw, "id": raw["_id"]})


def _statuses(statuses: Sequence[DocumentStatus] | frozenset[DocumentStatus]) -> list[str]:
    return sorted(status.value for status in statuses)


# The outbox belongs to the relay: reads leave it out. Updates return the whole document
# (no projection on findAndModify, which the local FerretDB refuses); Document ignores it.
_HIDDEN = {"outbox": 0}


class DocumentRepository:
    def __init__(self, db: AsyncDatabase[Raw], *, source: str) -> None:
        self.collection: AsyncCollection[Raw] = db[COLLECTION]
        self.source = source

    async def create_indexes(self) -> None:
        await self.collection.create_index([("owner_id", ASCENDING), ("created_at", DESCENDING)])
        await self.collection.create_index([("status", ASCENDING), ("created_at", ASCENDING)])

    async def start_upload(self, document_id: str, owner_id: str, key: str, now: datetime) -> None:
        """The marker written before any byte reaches storage, so an orphan can be found."""
        await self.collection.insert_one(
            {
                "_id": document_id,
                "owner_id": owner_id,
                "name": "",
                "status": DocumentStatus.UPLOADING.value,
                "saved": False,
                "created_at": now,
                "updated_at": now,
                "upload_key": key,
                "versions": [],
            }
        )

    async def finish_upload(
        self,
        document_id: str,
        *,
        name: str,
        version: Version,
        status: DocumentStatus,
        pending: PendingSignature | None,
        now: datetime,
        events: Sequence[EventData],
    ) -> Document | None:
        """The uploaded file becomes a visible document, with its events, in one write."""
        raw = await self.collection.find_one_and_update(
            {"_id": document_id, "status": DocumentStatus.UPLOADING.value},
            with_events(
                {
                    "$set": {
                        "name": name,
                        "status": status.value,
                        "versions": [version.model_dump()],
                        "pending": pending.model_dump() if pending else None,
                        "failure": None,
                        "created_at": now,
                        "updated_at": now,
                    },
                    "$unset": {"upload_key": ""},
                },
                events,
                source=self.source,
            ),
            return_document=ReturnDocument.AFTER,
        )
        return to_document(raw) if raw else None

    async def add_received(self, document: Document) -> bool:
        """Insert a document made from an event; False when that event made it already."""
        raw = document.model_dump()
        raw["_id"] = raw.pop("id")
        try:
            await self.collection.insert_one(raw)
        except DuplicateKeyError:
            return False
        return True

    async def abandon_upload(self, document_id: str) -> None:
        await self.collection.delete_one(
            {"_id": document_id, "status": DocumentStatus.UPLOADING.value}
        )

    async def get(self, owner_id: str, document_id: str) -> Document | None:
        raw = await self.collection.find_one(
            {
                "_id": document_id,
                "owner_id": owner_id,
                "status": {"$in": _statuses(VISIBLE_STATUSES)},
            },
            projection=_HIDDEN,
        )
        return to_document(raw) if raw else None

    async def get_any(self, document_id: str) -> Document | None:
        raw = await self.collection.find_one({"_id": document_id}, projection=_HIDDEN)
        return to_document(raw) if raw else None

    async def list_page(
        self,
        owner_id: str,
        *,
        statuses: Sequence[DocumentStatus] | None,
        saved: bool | None,
        order: SortOrder,
        page: int,
        size: int,
    ) -> tuple[list[Document], int]:
        query: Raw = {
            "owner_id": owner_id,
            "status": {"$in": _statuses(statuses or VISIBLE_STATUSES)},
        }
        if saved is not None:
            query["saved"] = saved
        direction = ASCENDING if order == "asc" else DESCENDING
        total = await self.collection.count_documents(query)
        cursor = (
            self.collection.find(query, projection=_HIDDEN)
            .sort([("created_at", direction), ("_id", direction)])
            .skip((page - 1) * size)
            .limit(size)
        )
        return [to_document(raw) async for raw in cursor], total

    async def request_signing(
        self,
        owner_id: str,
        document_id: str,
        pending: PendingSignature,
        now: datetime,
        events: Sequence[EventData],
    ) -> Document | None:
        """Start signing only from a signable state; None when the state did not allow it."""
        raw = await self.collection.find_one_and_update(
            {
                "_id": document_id,
                "owner_id": owner_id,
                "status": {"$in": _statuses(SIGNABLE)},
                "versions.0": {"$exists": True},
            },
            with_events(
                {
                    "$set": {
                        "status": DocumentStatus.SIGNING.value,
                        "pending": pending.model_dump(),
                        "failure": None,
                        "updated_at": now,
                    },
                },
                events,
                source=self.source,
            ),
            return_document=ReturnDocument.AFTER,
        )
        return to_document(raw) if raw else None

    async def complete_signing(
        self,
        document_id: str,
        request_id: str,
        *,
        status: DocumentStatus,
        version: Version | None,
        failure: SignFailure | None,
        now: datetime,
    ) -> bool:
        """Apply one sign result; conditional on the pending request, so repeats are no-ops."""
        update: Raw = {
            "$set": {
                "status": status.value,
                "pending": None,
                "failure": failure.model_dump() if failure else None,
                "updated_at": now,
            }
        }
        if version is not None:
            update["$push"] = {"versions": version.model_dump()}
        result = await self.collection.update_one(
            {
                "_id": document_id,
                "status": DocumentStatus.SIGNING.value,
                "pending.request_id": request_id,
            },
            update,
        )
        return result.modified_count == 1

    async def save(self, owner_id: str, document_id: str, now: datetime) -> Document | None:
        await self.collection.update_one(
            {
                "_id": document_id,
                "owner_id": owner_id,
                "status": {"$in": _statuses(SAVABLE)},
                "saved": False,
            },
            {"$set": {"saved": True, "saved_at": now, "updated_at": now}},
        )
        return await self.get(owner_id, document_id)

    async def mark_deleting(
        self,
        document_id: str,
        now: datetime,
        *,
        owner_id: str | None = None,
        extra: Raw | None = None,
    ) -> Document | None:
        """Hide a document before its objects go, so a crash leaves a retryable deletion."""
        query: Raw = {"_id": document_id, "status": {"$in": _statuses(DELETABLE)}, **(extra or {})}
        if owner_id is not None:
            query["owner_id"] = owner_id
        raw = await self.collection.find_one_and_update(
            query,
            {"$set": {"status": DocumentStatus.DELETING.value, "deleting_since": now}},
        )
        return to_document(raw) if raw else None

    async def remove_deleted(self, document_id: str) -> bool:
        """Drop the metadata once its objects are gone and its events have left."""
        result = await self.collection.delete_one(
            {
                "_id": document_id,
                "status": DocumentStatus.DELETING.value,
                "outbox.0": {"$exists": False},
            }
        )
        return result.deleted_count == 1

    async def expired_draft_ids(self, cutoff: datetime, limit: int = 100) -> list[str]:
        cursor = self.collection.find(
            {
                "saved": False,
                "status": {"$in": _statuses(_EXPIRABLE)},
                "created_at": {"$lt": cutoff},
            },
            projection={"_id": 1},
            limit=limit,
        )
        return [raw["_id"] async for raw in cursor]

    async def stale_uploads(self, cutoff: datetime, limit: int = 100) -> list[Raw]:
        cursor = self.collection.find(
            {"status": DocumentStatus.UPLOADING.value, "created_at": {"$lt": cutoff}},
            projection={"_id": 1, "owner_id": 1, "upload_key": 1},
            limit=limit,
        )
        return [raw async for raw in cursor]

    async def stuck_deletions(self, cutoff: datetime, limit: int = 100) -> list[Document]:
        cursor = self.collection.find(
            {"status": DocumentStatus.DELETING.value, "deleting_since": {"$lt": cutoff}},
            projection=_HIDDEN,
            limit=limit,
        )
        return [to_document(raw) async for raw in cursor]

    async def expire_draft(
        self, document_id: str, cutoff: datetime, now: datetime
    ) -> Document | None:
        return await self.mark_deleting(
            document_id, now, extra={"saved": False, "created_at": {"$lt": cutoff}}
        )

    async def waiting_on_signing(self, before: datetime, limit: int = 200) -> list[Waiting]:
        """Documents whose sign request was made before `before` and has not ended here."""
        cursor = self.collection.find(
            {"status": DocumentStatus.SIGNING.value, "pending.requested_at": {"$lt": before}},
            projection={"_id": 1, "pending": 1},
            limit=limit,
        )
        return [
            Waiting(
                source_id=raw["_id"],
                request_id=raw["pending"]["request_id"],
                since=raw["pending"]["requested_at"],
            )
            async for raw in cursor
            if raw.get("pending")
        ]
