"""Every MongoDB query of the submission service."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hoso_common.events import EventData
from hoso_common.outbox import with_events
from hoso_common.reconciler import Waiting
from hoso_submission.domain.dossier import Attachment, Dossier, HistoryEntry, Submission
from hoso_submission.domain.inbox import INBOX_SORT
from hoso_submission.domain.procedures import Procedure, search_text
from hoso_submission.domain.receipt import counter_id
from hoso_submission.domain.result import DossierResult, ResultStatus
from hoso_submission.domain.statistics import COUNTERS as STAT_COUNTERS
from hoso_submission.domain.statistics import (
    Contribution,
    Facts,
    Increment,
    ProcedureMonth,
)
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
        # The inbox's order: the agency's running clock first, then the nearest due date.
        await self.collection.create_index(
            [("agency_code", ASCENDING), *((f, d) for f, d in INBOX_SORT)]
        )

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

    async def set_result(
        self,
        dossier: Dossier,
        result: DossierResult,
        now: datetime,
        *,
        events: Sequence[EventData] = (),
        correlation_id: str | None = None,
    ) -> Dossier | None:
        """Store the dossier's result as read at its revision and status; None if it moved.

        A sign request's event is pushed in the same update as the "signing" state it starts.
        """
        document = await self.collection.find_one_and_update(
            {"_id": dossier.id, "status": int(dossier.status), "revision": dossier.revision},
            with_events(
                {"$set": {"result": _dump(result), "updated_at": now}, "$inc": {"revision": 1}},
                events,
                source=self.source,
                correlation_id=correlation_id,
            ),
            return_document=ReturnDocument.AFTER,
        )
        return Dossier.from_document(document) if document else None

    async def record_result_signature(
        self, dossier_id: str, request_id: str, fields: Document, now: datetime
    ) -> Dossier | None:
        """Apply a sign outcome to the result still waiting for that very request; else None."""
        document = await self.collection.find_one_and_update(
            {
                "_id": dossier_id,
                "result.status": ResultStatus.SIGNING.value,
                "result.sign_request.request_id": request_id,
            },
            {
                "$set": {**{f"result.{k}": v for k, v in fields.items()}, "updated_at": now},
                "$inc": {"revision": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return Dossier.from_document(document) if document else None

    async def waiting_on_signing(self, before: datetime, limit: int = 200) -> list[Waiting]:
        """Results whose sign request was made before `before` and has not ended."""
        cursor = self.collection.find(
            {
                "result.status": ResultStatus.SIGNING.value,
                "result.sign_request.requested_at": {"$lt": before},
            },
            projection={"result.sign_request": 1},
        ).limit(limit)
        waiting: list[Waiting] = []
        async for document in cursor:
            request = document["result"]["sign_request"]
            waiting.append(
                Waiting(
                    source_id=str(document["_id"]),
                    request_id=str(request["request_id"]),
                    since=request["requested_at"],
                )
            )
        return waiting

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

    async def inbox(self, query: Document, *, limit: int, offset: int) -> list[Dossier]:
        """One page of the officers' inbox, overdue and due-today dossiers first."""
        cursor = (
            self.collection.find(query, projection=_HIDDEN)
            .sort(INBOX_SORT)
            .skip(offset)
            .limit(limit)
        )
        return [Dossier.from_document(doc) async for doc in cursor]

    async def count(self, query: Document) -> int:
        return await self.collection.count_documents(query)

    async def counts_by_status(self, pipeline: list[Document]) -> dict[int, int]:
        cursor = await self.collection.aggregate(pipeline)
        return {int(row["_id"]): int(row["count"]) async for row in cursor}

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


STATS_MONTHS = "stats_months"
STATS_DAYS = "stats_days"
STATS_OPEN = "stats_open"
STATS_MARKS = "stats_marks"

_MONTH_SUMS = {name: {"$sum": f"${name}"} for name in STAT_COUNTERS}


class StatisticsRepository:
    """The counters behind the statistics page, and the aggregations that read them.

    Three small collections: day buckets, open buckets (see `domain/statistics.py`) and one
    mark per dossier saying which revision it was last counted at, and as what.
    """

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.dossiers = db[DOSSIERS]
        self.months = db[STATS_MONTHS]
        self.days = db[STATS_DAYS]
        self.open = db[STATS_OPEN]
        self.marks = db[STATS_MARKS]

    async def ensure_indexes(self) -> None:
        for collection, field in (
            (self.months, "month_start"),
            (self.days, "date"),
            (self.open, "due"),
        ):
            await collection.create_index([("agency_code", ASCENDING), (field, ASCENDING)])
            await collection.create_index([(field, ASCENDING)])

    async def reset(self) -> None:
        """Drop every counter and mark (before a rebuild)."""
        for collection in (self.months, self.days, self.open, self.marks):
            await collection.delete_many({})

    async def facts(self, dossier_id: str) -> Facts | None:
        """The fields of one dossier that statistics count."""
        document = await self.dossiers.find_one(
            {"_id": dossier_id},
            projection={
                "revision": 1,
                "agency_code": 1,
                "procedure_code": 1,
                "status": 1,
                "submitted_at": 1,
                "due_at": 1,
                "completed_at": 1,
            },
        )
        if document is None:
            return None
        return Facts(
            dossier_id=dossier_id,
            revision=int(document.get("revision") or 0),
            agency_code=document["agency_code"],
            procedure_code=document["procedure_code"],
            status=DossierStatus(document["status"]),
            submitted_at=_aware(document.get("submitted_at")),
            due_at=_aware(document.get("due_at")),
            completed_at=_aware(document.get("completed_at")),
        )

    async def mark(self, dossier_id: str) -> tuple[int, Contribution | None] | None:
        """The revision a dossier was last counted at, and what it counted for."""
        document = await self.marks.find_one({"_id": dossier_id})
        if document is None:
            return None
        counted = document.get("counted")
        return int(document["revision"]), Contribution.from_document(counted) if counted else None

    async def claim(
        self,
        dossier_id: str,
        *,
        previous_revision: int | None,
        revision: int,
        counted: Contribution | None,
    ) -> bool:
        """Move the dossier's mark from the revision it was read at; False if another did.

        The dossier's events come on two topics and may be handled at once, by two
        replicas even: only the handler that moves the mark applies the change.
        """
        mark = {"revision": revision, "counted": counted.to_document() if counted else None}
        if previous_revision is None:
            try:
                await self.marks.insert_one({"_id": dossier_id, **mark})
            except DuplicateKeyError:
                return False
            return True
        result = await self.marks.update_one(
            {"_id": dossier_id, "revision": previous_revision}, {"$set": mark}
        )
        return result.modified_count == 1

    async def apply(self, changes: list[Increment]) -> None:
        collections = {"month": self.months, "day": self.days, "open": self.open}
        for change in changes:
            collection = collections[change.kind]
            await collection.update_one(
                {"_id": change.bucket},
                {"$inc": change.inc, "$setOnInsert": change.keys},
                upsert=True,
            )
            if change.kind == "open" and change.inc.get("open", 0) < 0:
                # Keep only buckets with open dossiers, so "Quá hạn" reads few. A
                # concurrent increment either lands before (no delete) or upserts anew.
                await collection.delete_one({"_id": change.bucket, "open": {"$lte": 0}})

    async def report_rows(
        self, agency_code: str | None, *, since_month: date, today: date
    ) -> list[ProcedureMonth]:
        """Per procedure and month of submission: the summed month buckets and the overdue."""
        scope: Document = {"agency_code": agency_code} if agency_code else {}
        since = _midnight(since_month)
        group_id = {"procedure": "$procedure_code", "month": "$month"}
        sums = await self.months.aggregate(
            [
                {"$match": {**scope, "month_start": {"$gte": since}}},
                {"$group": {"_id": group_id, **_MONTH_SUMS}},
            ]
        )
        rows: dict[tuple[str, str], ProcedureMonth] = {}
        async for group in sums:
            key = (group["_id"]["procedure"], group["_id"]["month"])
            row = ProcedureMonth(
                procedure_code=key[0], month=key[1], **{n: int(group[n]) for n in STAT_COUNTERS}
            )
            row.in_progress = row.received - row.on_time - row.late - row.closed
            rows[key] = row
        overdue = await self.open.aggregate(
            [
                {"$match": {**scope, "due": {"$lt": _midnight(today)}}},
                {"$group": {"_id": group_id, "overdue": {"$sum": "$open"}}},
            ]
        )
        async for group in overdue:
            key = (group["_id"]["procedure"], group["_id"]["month"])
            if key in rows:
                rows[key].overdue = int(group["overdue"])
        return sorted(rows.values(), key=lambda r: (r.month, r.procedure_code), reverse=True)

    async def received_by_day(self, agency_code: str | None, *, since: date) -> dict[str, int]:
        """Dossiers received each day from `since` on."""
        scope: Document = {"agency_code": agency_code} if agency_code else {}
        cursor = await self.days.aggregate(
            [
                {"$match": {**scope, "date": {"$gte": _midnight(since)}}},
                {"$group": {"_id": "$day", "received": {"$sum": "$received"}}},
            ]
        )
        return {group["_id"]: int(group["received"]) async for group in cursor}

    async def dossier_ids(self, *, after: str | None, limit: int) -> list[str]:
        """Submitted dossiers in id order, a page at a time (for a rebuild)."""
        query: Document = {"status": {"$gte": int(DossierStatus.NEW)}}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self.dossiers.find(query, projection={"_id": 1}).sort("_id", ASCENDING)
        return [document["_id"] async for document in cursor.limit(limit)]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _aware(value: Any) -> datetime | None:
    # The driver returns naive UTC datetimes unless the client asks for aware ones.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None
