"""In-memory stand-ins for the eforms repositories and the form files in object storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, cast

from hoso_common.events import EventData
from hoso_common.storage import StoredObject
from hoso_eforms.domain.forms import Form, FormStatus
from hoso_eforms.domain.rendering import FormDocument, FormRenderer, RenderedForm
from hoso_eforms.domain.templates import TemplateVersion
from hoso_eforms.repository import FormRepository, TemplateRepository, VersionTaken
from hoso_eforms.service import EformsService, Procedures
from hoso_eforms.storage import FormFiles


class FakeTemplates:
    """Template versions by (code, version); a version is published once."""

    def __init__(self) -> None:
        self.versions: dict[tuple[str, int], TemplateVersion] = {}

    async def ensure_indexes(self) -> None:
        return None

    async def seed(self, template: TemplateVersion) -> bool:
        if (template.code, template.version) in self.versions:
            return False
        self.versions[template.code, template.version] = template
        return True

    async def insert(self, template: TemplateVersion) -> None:
        if not await self.seed(template):
            raise VersionTaken(f"{template.code}@{template.version}")

    async def newest(self, code: str) -> TemplateVersion | None:
        mine = [t for (c, _), t in self.versions.items() if c == code]
        return max(mine, key=lambda t: t.version, default=None)

    async def latest(self, code: str) -> TemplateVersion | None:
        mine = [t for (c, _), t in self.versions.items() if c == code and t.retired_at is None]
        return max(mine, key=lambda t: t.version, default=None)

    async def version(self, code: str, version: int) -> TemplateVersion | None:
        return self.versions.get((code, version))

    async def retire(self, code: str, version: int, by: str, at: datetime) -> TemplateVersion:
        current = self.versions[code, version]
        if current.retired_at is None:
            current = current.model_copy(update={"retired_at": at, "retired_by": by})
            self.versions[code, version] = current
        return current


class FakeForms:
    """Forms by id, with the conditional updates of the Mongo repository and each outbox."""

    def __init__(self) -> None:
        self.forms: dict[str, Form] = {}
        self.outbox: dict[str, list[EventData]] = {}

    async def ensure_indexes(self) -> None:
        return None

    async def insert(self, form: Form) -> None:
        assert form.id not in self.forms
        self.forms[form.id] = form
        self.outbox[form.id] = []

    async def get(self, form_id: str) -> Form | None:
        return self.forms.get(form_id)

    async def get_owned(self, form_id: str, owner_sub: str) -> Form | None:
        form = self.forms.get(form_id)
        return form if form is not None and form.owner_sub == owner_sub else None

    async def list_owned(
        self, owner_sub: str, *, template_code: str | None, status: FormStatus | None, limit: int
    ) -> list[Form]:
        mine = [
            f
            for f in self.forms.values()
            if f.owner_sub == owner_sub
            and template_code in (None, f.template_code)
            and status in (None, f.status)
        ]
        return sorted(mine, key=lambda f: f.updated_at, reverse=True)[:limit]

    def _change(self, form: Form, **changes: Any) -> Form:
        changed = form.model_copy(update=changes)
        self.forms[form.id] = changed
        return changed

    async def update_data(
        self, form_id: str, owner_sub: str, data: dict[str, Any], now: datetime
    ) -> Form | None:
        form = await self.get_owned(form_id, owner_sub)
        if form is None or not form.editable:
            return None
        return self._change(
            form,
            data=data,
            updated_at=now,
            status=FormStatus.SAVED,
            failure_reason=None,
            revision=form.revision + 1,
        )

    async def start_signing(
        self, form_id: str, owner_sub: str, revision: int, *change: Any
    ) -> Form | None:
        sign_request, rendered, events, now = change
        form = await self.get_owned(form_id, owner_sub)
        if form is None or not form.editable or form.revision != revision:
            return None
        self.outbox[form_id].extend(events)
        return self._change(
            form,
            status=FormStatus.SIGNING,
            sign_request=sign_request,
            rendered=rendered,
            signing_started_at=now,
            failure_reason=None,
        )

    async def mark_signed(self, form_id: str, request_id: str, **signed: Any) -> Form | None:
        form = self.forms.get(form_id)
        if form is None or not form.awaits(request_id):
            return None
        return self._change(form, status=FormStatus.SIGNED, **signed)

    async def mark_sign_failed(
        self, form_id: str, request_id: str, *, outcome: str, reason: str
    ) -> Form | None:
        form = self.forms.get(form_id)
        if form is None or not form.awaits(request_id):
            return None
        return self._change(
            form, status=FormStatus.SIGN_FAILED, failure_reason=reason, sign_outcome=outcome
        )


class FakeFiles:
    """Objects by (bucket, key), with the key names of the real adapter."""

    bucket = "hoso-eforms"

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    async def put_rendered(
        self, form_id: str, revision: int, pdf: bytes, sha256: str
    ) -> StoredObject:
        key = FormFiles.rendered_key(form_id, revision, sha256)
        self.objects[self.bucket, key] = pdf
        return StoredObject(
            bucket=self.bucket, key=key, size=len(pdf), sha256=sha256, etag=sha256[:32]
        )

    async def copy_signed(
        self, src_bucket: str, src_key: str, form_id: str, request_id: str
    ) -> str:
        key = FormFiles.signed_key(form_id, request_id)
        self.objects[self.bucket, key] = self.objects[src_bucket, src_key]
        return key

    async def open(self, key: str) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            yield self.objects[self.bucket, key]

        return chunks()


class AgenciesOf:
    """Submission's procedure catalogue, as a dict from procedure code to agency code."""

    def __init__(self, agencies: dict[str, str]) -> None:
        self.agencies = agencies

    async def agency_of(self, procedure_code: str) -> str | None:
        return self.agencies.get(procedure_code)


class OncePrinted:
    """The real renderer, asked once per template: font subsetting costs a second a form."""

    def __init__(self, renderer: FormRenderer) -> None:
        self.renderer = renderer
        self.printed: dict[str, RenderedForm] = {}

    def render(self, document: FormDocument) -> RenderedForm:
        if document.template_code not in self.printed:
            self.printed[document.template_code] = self.renderer.render(document)
        return self.printed[document.template_code]


def eforms_service(
    templates: FakeTemplates,
    forms: FakeForms,
    files: FakeFiles,
    *,
    renderer: OncePrinted,
    procedures: Procedures,
    nudged: list[str],
) -> EformsService:
    """The use cases over the fakes (they stand where the Mongo and S3 adapters do)."""
    return EformsService(
        templates=cast(TemplateRepository, templates),
        forms=cast(FormRepository, forms),
        files=cast(FormFiles, files),
        catalogue=renderer.renderer.catalogue,
        renderer=cast(FormRenderer, renderer),
        procedures=procedures,
        nudge=nudged.append,
    )
