"""Every MongoDB query of the submission service."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from hoso_common.events import EventData
from hoso_common.outbox import with_events
from hoso_submission.domain.dossier import Attachment, Dossier, HistoryEntry, Submission
from hoso_submission.domain.procedures import Procedure, search_text
from hoso_submission.domain.receipt import counter_id
from hoso_submission.domain.status import EDITABLE, DossierStatus

Document = dict[str, Any]

PROCEDURES = "procedures"
DOSSIERS = "dossiers"
COUNTERS = "receipt_counters"

# Fields a reader never needs: the outbox and its lease belong to the relay. (FerretDB has
# no projection on findAndModify, so updates return them and Dossier ignores them.)
_HIDDEN = {"outbox": 0, "outbox_lease_until": 0}


def _dump(model: Any) -> Any:
    return model.model_dump(mode="python")


class ProcedureRepository:
    def __init__(self, db: AsyncDatabase[Document], cache_s: float = 60.0) -> None:
        self.collection = db[PROCEDURES]
        # The catalogue changes rarely and every dossier action reads it.
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, Procedure]] = {}

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("agency.code", ASCENDING)])

    async def seed(self, procedures: Iterable[Procedure]) -> None:
        for procedure in procedures:
            document = {
                **procedure.model_dump(mode="json"),
                "_id": procedure.code,
                "search_text": search_text(procedure.code, procedure.name, procedure.field),
            }
            await self.collection.replace_one({"_id": procedure.code}, document, upsert=True)
            self._cache.pop(procedure.code, None)

    async def search(
        self, *, q: str | None, agency: str | None, limit: int, offset: int
    ) -> list[Procedure]:
        query: Document = {}
        if agency:
            query["agency.code"] = agency
        if q and q.strip():
            query["search_text"] = {"$regex": re.escape(search_text(q.strip()))}
        cursor = self.collection.find(query).sort("_id", ASCENDING).skip(offset).limit(limit)
        return [Procedure.model_validate(doc) async for doc in cursor]

    async def get(self, code: str) -> Procedure | None:
        cached = self._cache.get(code)
        if cached is not None and time.monotonic() - cached[0] < self.cache_s:
            return cached[1]
        document = await self.collection.find_one({"_id": code})
        if document is None:
            return None
        procedure = Procedure.model_validate(document)
        self._cache[code] = (time.monotonic(), procedure)
        return procedure


class ReceiptCounterRepository:
    """One counter document per agency and day, advanced with an atomic $inc."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[COUNTERS]

    async def next(self, agency_code: str, day: date) -> int:
        document = await self.collection.find_one_and_update(
            {"_id": counter_id(agency_code, day)},
            {"$inc": {"seq": 1}, "$set": {"agency_code": agency_code, "day": day.isoformat()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert document is not None
        return int(document["seq"])


class DossierRepository:
    def __init__(self, db: AsyncDatabase[Document], *, source: str) -> None:
        self.collection = db[DOSSIERS]
        self.source = source  # the CloudEvents source of the events it stores

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("owner_id", ASCENDING), ("created_at", DESCENDING)])
        await self.collection.create_index([("agency_code", ASCENDING), ("status", ASCENDING)])
        await self.collection.create_index("receipt_code", unique=True, sparse=True)

    async def add(self, dossier: Dossier) -> None:
        document = _dump(dossier)
        document["_id"] = document.pop("id")
        # The receipt-code index is unique and sparse, so a draft must lack the field.
        document.pop("receipt_code", None)
        document["outbox"] = []
        await self.collection.insert_one(document)

    async def get(self, dossier_id: str) -> Dossier | None:
        document = await self.collection.find_one({"_id": dossier_id}, projection=_HIDDEN)
        return Dossier.from_document(document) if document else None

    async def set_component(
        self, dossier_id: str, owner_id: str, code: str, attachment: Attachment, now: datetime
    ) -> Dossier | None:
        """Attach (or replace) a component; returns the dossier as it was before, or None."""
        document = await self.collection.find_one_and_update(
            self._editable(dossier_id, owner_id),
            {
                "$set": {f"components.{code}": _dump(attachment), "updated_at": now},
                "$inc": {"revision": 1},
            },
            return_document=ReturnDocument.BEFORE,
        )
        return Dossier.from_document(document) if document else None

    async def remove_component(
        self, dossier_id: str, owner_id: str, code: str, now: datetime
    ) -> Dossier | None:
        """Detach a component; returns the dossier as it was before, or None."""
        document = await self.collection.find_one_and_update(
            self._editable(dossier_id, owner_id),
            {
                "$unset": {f"components.{code}": ""},
                "$set": {"updated_at": now},
                "$inc": {"revision": 1},
            },
            return_document=ReturnDocument.BEFORE,
        )
        return Dossier.from_document(document) if document else None

    async def change_status(
        self,
        dossier: Dossier,
        *,
        entry: HistoryEntry,
        events: Sequence[EventData],
        fields: Document | None = None,
        submission: Submission | None = None,
    ) -> Dossier | None:
        """Move the dossier from the status (and revision) it was read with; None if it moved.

        The new status, its history entry and its events are one single-document update,
        so an event exists exactly when the change it announces does.
        """
        push: Document = {"history": _dump(entry)}
        if submission is not None:
            push["submissions"] = _dump(submission)
        document = await self.collection.find_one_and_update(
            {"_id": dossier.id, "status": int(dossier.status), "revision": dossier.revision},
            with_events(
                {
                    "$set": {
                        "status": int(entry.to_status),
                        "updated_at": entry.at,
                        **(fields or {}),
                    },
                    "$inc": {"revision": 1},
                    "$push": push,
                },
                events,
                source=self.source,
            ),
            return_document=ReturnDocument.AFTER,
        )
        return Dossier.from_document(document) if document else None

    async def list_for_owner(
        self, owner_id: str, *, statuses: list[int] | None, limit: int, offset: int
    ) -> list[Dossier]:
        query: Document = {"owner_id": owner_id}
        if statuses:
            query["status"] = {"$in": statuses}
        return await self._find(query, limit=limit, offset=offset, sort="created_at")

    async def find_by_receipt(self, receipt_code: str) -> Dossier | None:
        document = await self.collection.find_one(
            {"receipt_code": receipt_code}, projection=_HIDDEN
        )
        return Dossier.from_document(document) if document else None

    async def inbox(
        self, agency_code: str, *, statuses: list[int] | None, limit: int, offset: int
    ) -> list[Dossier]:
        query: Document = {"agency_code": agency_code}
        query["status"] = {"$in": statuses} if statuses else {"$gte": int(DossierStatus.NEW)}
        return await self._find(query, limit=limit, offset=offset, sort="submitted_at")

    async def _find(self, query: Document, *, limit: int, offset: int, sort: str) -> list[Dossier]:
        cursor = (
            self.collection.find(query, projection=_HIDDEN)
            .sort(sort, DESCENDING)
            .skip(offset)
            .limit(limit)
        )
        return [Dossier.from_document(doc) async for doc in cursor]

    @staticmethod
    def _editable(dossier_id: str, owner_id: str) -> Document:
        return {
            "_id": dossier_id,
            "owner_id": owner_id,
            "status": {"$in": [int(s) for s in EDITABLE]},
        }
