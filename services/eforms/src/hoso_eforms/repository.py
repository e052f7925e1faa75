"""All MongoDB access of the eforms service: templates and form instances, as domain models."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hoso_common.events import EventData, ObjectRef
from hoso_common.mongo import Document
from hoso_common.outbox import OUTBOX_FIELD, with_events
from hoso_common.reconciler import Waiting
from hoso_eforms.domain.forms import (
    EDITABLE,
    Form,
    FormSignature,
    FormSignRequest,
    FormStatus,
)
from hoso_eforms.domain.templates import TemplateContent, TemplateVersion

TEMPLATES = "templates"
FORMS = "forms"
FORM_PROJECTION = {"outbox": 0, "outbox_lease_until": 0}


# Versions never retired have no retired_at field at all.
_IN_USE: dict[str, Any] = {"retired_at": {"$exists": False}}


class VersionTaken(Exception):
    """Another publisher took this template version first."""


def template_document(template: TemplateVersion) -> Document:
    # JSON Schema keywords start with "$", which the document store refuses as field names.
    content = template.model_dump(
        mode="json", include=set(TemplateContent.model_fields) - {"form_schema"}
    )
    # A version never retired has no retired_at field at all (see _IN_USE).
    return {
        "_id": f"{template.code}@{template.version}",
        "code": template.code,
        "version": template.version,
        "published_at": template.published_at,
        "published_by": template.published_by,
        "schema_json": json.dumps(template.form_schema, ensure_ascii=False, sort_keys=True),
        **content,
    }


def to_template(doc: Document) -> TemplateVersion:
    fields = {k: v for k, v in doc.items() if k not in ("_id", "schema_json")}
    return TemplateVersion.model_validate({**fields, "schema": json.loads(doc["schema_json"])})


def _template_or_none(doc: Document | None) -> TemplateVersion | None:
    return None if doc is None else to_template(doc)


def form_document(form: Form) -> Document:
    """A new form as stored, with its (empty) outbox."""
    return {
        "_id": form.id,
        "owner_sub": form.owner_sub,
        "owner_citizen_id": form.owner_citizen_id,
        "template_code": form.template_code,
        "template_version": form.template_version,
        "procedure_code": form.procedure_code,
        "title": form.title,
        "data": form.data,
        "status": form.status.value,
        "revision": form.revision,
        "created_at": form.created_at,
        "updated_at": form.updated_at,
        OUTBOX_FIELD: [],
    }


def to_form(doc: Document) -> Form:
    # Fields the model does not know (the outbox and its lease) are ignored.
    return Form.model_validate({**doc, "id": doc["_id"]})


def _form_or_none(doc: Document | None) -> Form | None:
    return None if doc is None else to_form(doc)


class TemplateRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[TEMPLATES]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("code", ASCENDING), ("version", ASCENDING)], unique=True, name="code_version"
        )
        await self.collection.create_index([("procedure_code", ASCENDING)], name="procedure")

    async def seed(self, template: TemplateVersion) -> bool:
        """Store a shipped template version unless it exists; True when it was inserted."""
        doc = template_document(template)
        result = await self.collection.update_one(
            {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True
        )
        return result.upserted_id is not None

    async def insert(self, template: TemplateVersion) -> None:
        doc = template_document(template)
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError as error:
            raise VersionTaken(doc["_id"]) from error

    async def latest(self, code: str) -> TemplateVersion | None:
        """The newest version still in use (retired ones are skipped)."""
        return _template_or_none(
            await self.collection.find_one(
                {"code": code, **_IN_USE}, sort=[("version", DESCENDING)]
            )
        )

    async def newest(self, code: str) -> TemplateVersion | None:
        """The newest version, retired or not: numbering continues after a retired one."""
        return _template_or_none(
            await self.collection.find_one({"code": code}, sort=[("version", DESCENDING)])
        )

    async def retire(
        self, code: str, version: int, by: str, at: datetime
    ) -> TemplateVersion | None:
        """Mark a version retired (first retirement wins); the version as stored after."""
        await self.collection.update_one(
            {"code": code, "version": version, **_IN_USE},
            {"$set": {"retired_at": at, "retired_by": by}},
        )
        return await self.version(code, version)

    async def version(self, code: str, version: int) -> TemplateVersion | None:
        return _template_or_none(await self.collection.find_one({"code": code, "version": version}))

    async def list_latest(self, procedure_code: str | None = None) -> list[TemplateVersion]:
        query: dict[str, Any] = dict(_IN_USE)
        if procedure_code:
            query["procedure_code"] = procedure_code
        latest: dict[str, Document] = {}
        async for doc in self.collection.find(query, sort=[("code", ASCENDING)]):
            current = latest.get(doc["code"])
            if current is None or doc["version"] > current["version"]:
                latest[doc["code"]] = doc
        return [
            to_template(doc)
            for doc in sorted(latest.values(), key=lambda d: (d["procedure_code"], d["code"]))
        ]


class FormRepository:
    def __init__(self, db: AsyncDatabase[Document], *, source: str) -> None:
        self.collection = db[FORMS]
        self.source = source  # the CloudEvents source of the events it stores

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("owner_sub", ASCENDING), ("updated_at", DESCENDING)], name="owner_updated"
        )

    async def insert(self, form: Form) -> None:
        await self.collection.insert_one(form_document(form))

    async def get_owned(self, form_id: str, owner_sub: str) -> Form | None:
        return _form_or_none(
            await self.collection.find_one(
                {"_id": form_id, "owner_sub": owner_sub}, projection=FORM_PROJECTION
            )
        )

    async def get(self, form_id: str) -> Form | None:
        return _form_or_none(
            await self.collection.find_one({"_id": form_id}, projection=FORM_PROJECTION)
        )

    async def list_owned(
        self,
        owner_sub: str,
        *,
        template_code: str | None,
        status: FormStatus | None,
        limit: int,
    ) -> list[Form]:
        query: dict[str, Any] = {"owner_sub": owner_sub}
        if template_code:
            query["template_code"] = template_code
        if status:
            query["status"] = status.value
        cursor = self.collection.find(
            query, projection=FORM_PROJECTION, sort=[("updated_at", DESCENDING)], limit=limit
        )
        return [to_form(doc) async for doc in cursor]

    async def update_data(
        self, form_id: str, owner_sub: str, data: Document, now: datetime
    ) -> Form | None:
        """Replace the data of an editable form; None when it is missing, signed or signing."""
        return _form_or_none(
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
        sign_request: FormSignRequest,
        rendered: ObjectRef,
        events: Sequence[EventData],
        now: datetime,
    ) -> Form | None:
        """Move an editable form at `revision` to signing and store its events in one update."""
        return _form_or_none(
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
                            "sign_request": sign_request.model_dump(),
                            "rendered": rendered.model_dump(mode="json"),
                            "signing_started_at": now,
                        },
                        "$unset": {"failure_reason": ""},
                    },
                    events,
                    source=self.source,
                    correlation_id=sign_request.request_id,
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

    async def mark_signed(
        self,
        form_id: str,
        request_id: str,
        *,
        signed: ObjectRef,
        signature: FormSignature,
        signed_at: datetime,
    ) -> Form | None:
        """The form signed and frozen, once: only while that very request is in flight."""
        return await self._finish_signing(
            form_id,
            request_id,
            {
                "status": FormStatus.SIGNED.value,
                "signed": signed.model_dump(mode="json"),
                "signature": signature.model_dump(),
                "signed_at": signed_at,
            },
        )

    async def mark_sign_failed(
        self, form_id: str, request_id: str, *, outcome: str, reason: str
    ) -> Form | None:
        """The form editable again with the reason its signing failed, once (see mark_signed)."""
        return await self._finish_signing(
            form_id,
            request_id,
            {
                "status": FormStatus.SIGN_FAILED.value,
                "failure_reason": reason,
                "sign_outcome": outcome,
            },
        )

    async def _finish_signing(
        self, form_id: str, request_id: str, changes: Document
    ) -> Form | None:
        return _form_or_none(
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
