"""In-memory stand-ins for submission's repositories, attachment store and upstream services."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any, cast

from hoso_common.events import EventData, ObjectRef
from hoso_common.storage import ObjectNotFound
from hoso_submission.clients import FilledForm
from hoso_submission.domain.dossier import Attachment, Dossier, HistoryEntry, SignatureCheck
from hoso_submission.domain.procedures import SEED_PROCEDURES, ComponentSpec, Procedure
from hoso_submission.domain.status import EDITABLE
from hoso_submission.repository import (
    DossierRepository,
    ProcedureRepository,
    ReceiptCounterRepository,
)
from hoso_submission.service import DossierService
from hoso_submission.storage import AttachmentStore

BUCKET = "hoso-submission"


def _set_path(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for name in parents:
        document = document.setdefault(name, {})
    document[leaf] = value


class FakeDossiers:
    """Dossiers by id; writes are conditional on the status and revision read, as in Mongo."""

    def __init__(self) -> None:
        self.dossiers: dict[str, Dossier] = {}
        self.outbox: dict[str, list[EventData]] = {}

    async def add(self, dossier: Dossier) -> None:
        assert dossier.id not in self.dossiers
        self.dossiers[dossier.id] = dossier
        self.outbox[dossier.id] = []

    async def get(self, dossier_id: str) -> Dossier | None:
        return self.dossiers.get(dossier_id)

    async def find_by_receipt(self, receipt_code: str) -> Dossier | None:
        return next((d for d in self.dossiers.values() if d.receipt_code == receipt_code), None)

    def _editable(self, dossier_id: str, owner_id: str) -> Dossier | None:
        dossier = self.dossiers.get(dossier_id)
        if dossier is None or dossier.owner_id != owner_id or dossier.status not in EDITABLE:
            return None
        return dossier

    async def set_component(
        self, dossier_id: str, owner_id: str, code: str, attachment: Attachment, now: datetime
    ) -> Dossier | None:
        before = self._editable(dossier_id, owner_id)
        if before is not None:
            self.dossiers[dossier_id] = before.model_copy(
                update={
                    "components": {**before.components, code: attachment},
                    "updated_at": now,
                    "revision": before.revision + 1,
                }
            )
        return before

    async def remove_component(
        self, dossier_id: str, owner_id: str, code: str, now: datetime
    ) -> Dossier | None:
        before = self._editable(dossier_id, owner_id)
        if before is not None:
            remaining = {c: a for c, a in before.components.items() if c != code}
            self.dossiers[dossier_id] = before.model_copy(
                update={"components": remaining, "updated_at": now, "revision": before.revision + 1}
            )
        return before

    async def change_status(
        self,
        dossier: Dossier,
        *,
        entry: HistoryEntry,
        events: Sequence[EventData],
        fields: dict[str, Any] | None = None,
        submission: Any = None,
    ) -> Dossier | None:
        current = self.dossiers.get(dossier.id)
        if current is None or (current.status, current.revision) != (
            dossier.status,
            dossier.revision,
        ):
            return None
        document = current.model_dump()
        for path, value in (fields or {}).items():
            _set_path(document, path, value)
        document["status"] = entry.to_status
        document["updated_at"] = entry.at
        document["revision"] += 1
        document["history"].append(entry.model_dump())
        if submission is not None:
            document["submissions"].append(submission.model_dump())
        changed = Dossier.model_validate(document)
        self.dossiers[dossier.id] = changed
        self.outbox[dossier.id].extend(events)
        return changed


class FakeProcedures:
    def __init__(self, procedures: Sequence[Procedure] = SEED_PROCEDURES) -> None:
        self.procedures = {p.code: p for p in procedures}

    async def get(self, code: str) -> Procedure | None:
        return self.procedures.get(code)


class FakeCounters:
    def __init__(self) -> None:
        self.issued: dict[tuple[str, date], int] = {}

    async def next(self, agency_code: str, day: date) -> int:
        self.issued[agency_code, day] = self.issued.get((agency_code, day), 0) + 1
        return self.issued[agency_code, day]


class FakeAttachments:
    """The dossier bucket as a dict of key to bytes."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    async def save_upload(
        self, key: str, filename: str, chunks: AsyncIterator[bytes], spec: ComponentSpec
    ) -> ObjectRef:
        data = b"".join([chunk async for chunk in chunks])
        self.objects[BUCKET, key] = data
        return ObjectRef(
            bucket=BUCKET,
            key=key,
            version=1,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content_type="image/png",
            filename=filename,
        )

    async def copy_in(self, source: ObjectRef, key: str) -> ObjectRef:
        if (source.bucket, source.key) not in self.objects:
            raise ObjectNotFound(source.key)
        self.objects[BUCKET, key] = self.objects[source.bucket, source.key]
        return source.model_copy(update={"bucket": BUCKET, "key": key})

    async def delete(self, key: str) -> None:
        self.objects.pop((BUCKET, key), None)


class SignedForms:
    """eforms' answers: the forms each caller's token may read."""

    def __init__(self) -> None:
        self.forms: dict[tuple[str, str], FilledForm] = {}

    async def form(self, form_id: str, token: str) -> FilledForm | None:
        return self.forms.get((form_id, token))


class NoDocuments:
    async def document(self, document_id: str, token: str) -> None:
        return None


class TrustingValidator:
    """signing's validation API for files it finds signed, intact and trusted."""

    check = SignatureCheck(signed=True, intact=True, trusted=True, signers=["LÊ VĂN QUYẾT"])

    async def validate(self, stored: ObjectRef, token: str, subject: str) -> SignatureCheck:
        return self.check

    async def report(self, stored: ObjectRef, token: str, subject: str) -> dict[str, Any]:
        return self.check.model_dump()


def dossier_service(
    dossiers: FakeDossiers,
    attachments: FakeAttachments,
    forms: SignedForms,
    nudged: list[str],
) -> DossierService:
    """The use cases over the fakes (they stand where Mongo, S3 and the HTTP clients do)."""
    return DossierService(
        dossiers=cast(DossierRepository, dossiers),
        procedures=cast(ProcedureRepository, FakeProcedures()),
        counters=cast(ReceiptCounterRepository, FakeCounters()),
        attachments=cast(AttachmentStore, attachments),
        vault=NoDocuments(),
        eforms=forms,
        validator=TrustingValidator(),
        nudge=nudged.append,
    )
