"""All MongoDB access of the eforms service: templates and form instances."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hoso_common.events import EventData
from hoso_common.mongo import Document
from hoso_common.outbox import with_events
from hoso_common.reconciler import Waiting
from hoso_eforms.domain.forms import EDITABLE, FormStatus

TEMPLATES = "templates"
FORMS = "forms"
FORM_PROJECTION = {"outbox": 0, "outbox_lease_until": 0}


# Versions never retired have no retired_at field at all.
_IN_USE: dict[str, Any] = {"retired_at": {"$exists": False}}


class VersionTaken(Exception):
    """Another publisher took this template version first."""


class TemplateRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[TEMPLATES]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("code", ASCENDING), ("version", ASCENDING)], unique=True, name="code_version"
        )
        await self.collection.create_index([("procedure_code", ASCENDING)], name="procedure")

    async def seed(self, template: Document) -> bool:
        """Store a shipped template version unless it exists; True when it was inserted."""
        result = await self.collection.update_one(
            {"_id": template["_id"]}, {"$setOnInsert": template}, upsert=True
        )
        return result.upserted_id is not None

    async def insert(self, template: Document) -> None:
        try:
            await self.collection.insert_one(template)
        except DuplicateKeyError as error:
            raise VersionTaken(template["_id"]) from error

    async def latest(self, code: str) -> Document | None:
        """The newest version still in use (retired ones are skipped)."""
        return await self.collection.find_one(
            {"code": code, **_IN_USE}, sort=[("version", DESCENDING)]
        )

    async def newest(self, code: str) -> Document | None:
        """The newest version, retired or not: numbering continues after a retired one."""
        return await self.collection.find_one({"code": code}, sort=[("version", DESCENDING)])

    async def retire(self, code: str, version: int, by: str, at: datetime) -> Document | None:
        """Mark a version retired (first retirement wins); the version as stored after."""
        await self.collection.update_one(
            {"code": code, "version": version, **_IN_USE},
            {"$set": {"retired_at": at, "retired_by": by}},
        )
        return await self.version(code, version)

    async def version(self, code: str, version: int) -> Document | None:
        return await self.collection.find_one({"code": code, "version": version})

    async def list_latest(self, procedure_code: str | None = None) -> list[Document]:
        query: dict[str, Any] = dict(_IN_USE)
        if procedure_code:
            query["procedure_code"] = procedure_code
        latest: dict[str, Document] = {}
        async for doc in self.collection.find(query, sort=[("code", ASCENDING)]):
            current = latest.get(doc["code"])
            if current is None or doc["version"] > current["version"]:
                latest[doc["code"]] = doc
        return sorted(latest.values(), key=lambda d: (d["procedure_code"], d["code"]))


class FormRepository:
    def __init__(self, db: AsyncDatabase[Document], *, source: str) -> None:
        self.collection = db[FORMS]
        self.source = source  # the CloudEvents source of the events it stores

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("owner_sub", ASCENDING), ("updated_at", DESCENDING)], name="owner_updated"
        )

    async def insert(self, form: Document) -> None:
        await self.collection.insert_one(form)

    async def get_owned(self, form_id: str, owner_sub: str) -> Document | None:
        return await self.collection.find_one(
            {"_id": form_id, "owner_sub": owner_sub}, projection=FORM_PROJECTION
        )

    async def get(self, form_id: str) -> Document | None:
        return await self.collection.find_one({"_id": form_id}, projection=FORM_PROJECTION)

    async def list_owned(
        self, owner_sub: str, *, template_code: str | None, status: str | None, limit: int
    ) -> list[Document]:
        query: dict[str, Any] = {"owner_sub": owner_sub}
        if template_code:
            query["template_code"] = template_code
        if status:
            query["status"] = status
        cursor = self.collection.find(
            query, projection=FORM_PROJECTION, sort=[("updated_at", DESCENDING)], limit=limit
        )
        return [doc async for doc in cursor]

    async def update_data(
        self, form_id: str, owner_sub: str, data: Document, now: datetime
    ) -> Document | None:
        """Replace the data of an editable form; None when it is missing, signed or signing."""
        return _without_outbox(
            await self.collection.find_one_and_update(
                {
                    "_id": form_id,
                    "owner_sub": owner_sub,
                    "status": {"$in": [s.value for s in EDITABLE]},
                },
                {
                    "$set": {"data": data, "updated_at": now, "status": FormStatus.SAVED.value},
                    "$unset": {"failure_reason": ""},
                    "$inc": {"revision": 1},
                },
                return_document=ReturnDocument.AFTER,
            )
        )

    async def start_signing(
        self,
        form_id: str,
        owner_sub: str,
        revision: int,
        sign_request: Document,
        rendered: Document,
        events: Sequence[EventData],
        now: datetime,
    ) -> Document | None:
        """Move an editable form at `revision` to signing and store its event in one update."""
        return _without_outbox(
            await self.collection.find_one_and_update(
                {
                    "_id": form_id,
                    "owner_sub": owner_sub,
                    "revision": revision,
                    "status": {"$in": [s.value for s in EDITABLE]},
                },
                with_events(
                    {
                        "$set": {
                            "status": FormStatus.SIGNING.value,
                            "sign_request": sign_request,
                            "rendered": rendered,
                            "signing_started_at": now,
                        },
                        "$unset": {"failure_reason": ""},
                    },
                    events,
                    source=self.source,
                    correlation_id=sign_request["request_id"],
                ),
                return_document=ReturnDocument.AFTER,
            )
        )

    async def waiting_on_signing(self, before: datetime, limit: int = 200) -> list[Waiting]:
        """Forms whose sign request was made before `before` and has not ended here."""
        cursor = self.collection.find(
            {"status": FormStatus.SIGNING.value, "signing_started_at": {"$lt": before}},
            projection={"_id": 1, "sign_request": 1, "signing_started_at": 1},
            limit=limit,
        )
        return [
            Waiting(
                source_id=str(raw["_id"]),
                request_id=str(raw["sign_request"]["request_id"]),
                since=raw["signing_started_at"],
            )
            async for raw in cursor
            if (raw.get("sign_request") or {}).get("request_id")
        ]

    async def finish_signing(
        self, form_id: str, request_id: str, changes: Document
    ) -> Document | None:
        """Apply a signing outcome once: only while that very request is still in flight."""
        return _without_outbox(
            await self.collection.find_one_and_update(
                {
                    "_id": form_id,
                    "status": FormStatus.SIGNING.value,
                    "sign_request.request_id": request_id,
                },
                {"$set": changes},
                return_document=ReturnDocument.AFTER,
            )
        )


def _without_outbox(doc: Document | None) -> Document | None:
    # FerretDB's findAndModify has no exclusion projection, so the fields are dropped here.
    if doc is not None:
        for field in FORM_PROJECTION:
            doc.pop(field, None)
    return doc
