"""Use cases of the eforms service: templates, form instances, rendering and signing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hoso_common.auth import Principal
from hoso_common.clock import utc_now
from hoso_common.events import ObjectRef, SignCompleted, SignRequested, StampOptions
from hoso_common.pdf_check import signing_problem
from hoso_eforms.domain.catalogue import AddressCatalogue, Commune, Province
from hoso_eforms.domain.forms import (
    RENDERED_VERSION,
    SIGNED_VERSION,
    Form,
    FormSignature,
    FormSignRequest,
    FormStatus,
    failure_reason,
    pdf_filename,
)
from hoso_eforms.domain.rendering import FormDocument, FormRenderer, RenderedForm
from hoso_eforms.domain.seed_templates import seed_templates
from hoso_eforms.domain.templates import (
    PrintLayout,
    TemplateContent,
    TemplateVersion,
    check_template,
)
from hoso_eforms.domain.validation import FormValidator, SchemaProblem, normalize
from hoso_eforms.errors import (
    FormInvalid,
    FormLocked,
    FormNotFound,
    FormNotSigned,
    FormUnsignable,
    ProcedureUnknown,
    ProvinceNotFound,
    SignerIdMissing,
    TemplateInvalid,
    TemplateNotFound,
    TemplateNotYours,
    TemplateVersionTaken,
)
from hoso_eforms.repository import FormRepository, TemplateRepository, VersionTaken
from hoso_eforms.storage import PDF, FormFiles

logger = logging.getLogger(__name__)

SEED_PUBLISHED_AT = datetime(2025, 7, 1, tzinfo=UTC)
SEED_PUBLISHER = "hoso-eforms-seed"


class Procedures(Protocol):
    async def agency_of(self, procedure_code: str) -> str | None: ...


class NoProcedures:
    """No catalogue: every procedure is unknown, so only administrators may publish."""

    async def agency_of(self, procedure_code: str) -> str | None:
        return None


def new_version(
    content: TemplateContent, code: str, version: int, by: str, at: datetime
) -> TemplateVersion:
    return TemplateVersion.model_validate(
        {
            **content.model_dump(by_alias=True),
            "code": code,
            "version": version,
            "published_at": at,
            "published_by": by,
        }
    )


@dataclass
class EformsService:
    templates: TemplateRepository
    forms: FormRepository
    files: FormFiles
    catalogue: AddressCatalogue
    renderer: FormRenderer
    list_limit: int = 100
    procedures: Procedures = field(default_factory=NoProcedures)
    # Drains a form's outbox at once after a write that stored events (the relay's `nudge`).
    nudge: Callable[[str], None] = lambda _: None

    def __post_init__(self) -> None:
        self._validators: dict[str, FormValidator] = {}

    # Templates

    async def seed(self) -> None:
        await self.templates.ensure_indexes()
        await self.forms.ensure_indexes()
        for code, content in seed_templates().items():
            template = new_version(content, code, 1, SEED_PUBLISHER, SEED_PUBLISHED_AT)
            if await self.templates.seed(template):
                logger.info("seeded template", extra={"template": code})

    async def latest_template(self, code: str) -> TemplateVersion:
        template = await self.templates.latest(code)
        if template is None:
            raise TemplateNotFound()
        return template

    async def template_version(self, code: str, version: int) -> TemplateVersion:
        template = await self.templates.version(code, version)
        if template is None:
            raise TemplateNotFound()
        return template

    async def list_templates(self, procedure_code: str | None) -> list[TemplateVersion]:
        return await self.templates.list_latest(procedure_code)

    async def _may_manage(self, by: Principal, procedure_code: str) -> None:
        """Templates belong to the agency that runs their procedure; administrators manage all."""
        agency = await self.procedures.agency_of(procedure_code)
        if by.has("admin"):
            return
        if agency is None:
            raise ProcedureUnknown()
        if not (by.has("officer") and by.agency == agency):
            raise TemplateNotYours()

    async def publish(self, code: str, content: TemplateContent, by: Principal) -> TemplateVersion:
        """Publish the next version; forms already filled keep the version they used."""
        try:
            check_template(content)
        except SchemaProblem as problem:
            raise TemplateInvalid(str(problem)) from problem
        latest = await self.templates.newest(code)
        if latest is not None and latest.procedure_code != content.procedure_code:
            # A template code stays with its owner: moving it needs that agency's consent too.
            await self._may_manage(by, latest.procedure_code)
        if by.has("admin") and await self.procedures.agency_of(content.procedure_code) is None:
            raise ProcedureUnknown()
        await self._may_manage(by, content.procedure_code)
        version = 1 if latest is None else latest.version + 1
        template = new_version(content, code, version, by.sub, utc_now())
        try:
            await self.templates.insert(template)
        except VersionTaken as error:
            raise TemplateVersionTaken() from error
        return template

    async def retire(self, code: str, version: int, by: Principal) -> TemplateVersion:
        """Stop listing a version and filling new forms with it; filled forms keep it."""
        current = await self.template_version(code, version)
        await self._may_manage(by, current.procedure_code)
        retired = await self.templates.retire(code, version, by.sub, utc_now())
        if retired is None:
            raise TemplateNotFound()
        logger.info("retired template version", extra={"template": code, "version": version})
        return retired

    def _validator(self, template: TemplateVersion) -> FormValidator:
        key = f"{template.code}@{template.version}"
        validator = self._validators.get(key)
        if validator is None:
            validator = FormValidator(template.form_schema, self.catalogue)
            self._validators[key] = validator
        return validator

    def _validated(self, template: TemplateVersion, data: Any) -> dict[str, Any]:
        clean = normalize(data)
        errors = self._validator(template).errors(clean)
        if errors:
            raise FormInvalid(errors)
        assert isinstance(clean, dict)
        return clean

    # The address catalogue

    def provinces(self) -> list[Province]:
        return self.catalogue.provinces()

    def communes(self, province_code: str) -> list[Commune]:
        communes = self.catalogue.communes(province_code)
        if communes is None:
            raise ProvinceNotFound()
        return communes

    @property
    def catalogue_complete(self) -> bool:
        return self.catalogue.complete

    # Forms

    async def create_form(self, owner: Principal, template_code: str, data: Any) -> Form:
        """ "Thêm": validate against the latest template version and save."""
        template = await self.latest_template(template_code)
        clean = self._validated(template, data)
        now = utc_now()
        form = Form(
            id=uuid.uuid4().hex,
            owner_sub=owner.sub,
            owner_citizen_id=owner.citizen_id,
            template_code=template.code,
            template_version=template.version,
            procedure_code=template.procedure_code,
            title=template.title,
            data=clean,
            status=FormStatus.SAVED,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        await self.forms.insert(form)
        return form

    async def get_form(self, owner: Principal, form_id: str) -> Form:
        form = await self.forms.get_owned(form_id, owner.sub)
        if form is None:
            raise FormNotFound()
        return form

    async def list_forms(
        self, owner: Principal, *, template_code: str | None, status: FormStatus | None
    ) -> list[Form]:
        """The caller's forms, most recently changed first, at most `list_limit` of them."""
        return await self.forms.list_owned(
            owner.sub, template_code=template_code, status=status, limit=self.list_limit
        )

    async def update_form(self, owner: Principal, form_id: str, data: Any) -> Form:
        """ "Cập nhật": validate again against the form's own template version, unless frozen."""
        form = await self.get_form(owner, form_id)
        if not form.editable:
            raise FormLocked()
        template = await self.template_version(form.template_code, form.template_version)
        clean = self._validated(template, data)
        updated = await self.forms.update_data(form_id, owner.sub, clean, utc_now())
        if updated is None:
            raise FormLocked()
        return updated

    async def print_form(self, owner: Principal, form_id: str) -> tuple[Form, RenderedForm]:
        """ "In": one of the caller's forms as a PDF."""
        form = await self.get_form(owner, form_id)
        return form, await self.render(form)

    async def render(self, form: Form) -> RenderedForm:
        """The same data and update time always give the same bytes."""
        template = await self.template_version(form.template_code, form.template_version)
        document = self._document(form, template.form_schema, template.layout)
        # Font subsetting takes a good fraction of a second: keep it off the event loop.
        return await asyncio.to_thread(self.renderer.render, document)

    @staticmethod
    def _document(form: Form, schema: dict[str, Any], layout: PrintLayout) -> FormDocument:
        return FormDocument(
            form_id=form.id,
            template_code=form.template_code,
            template_version=form.template_version,
            title=form.title,
            schema=schema,
            layout=layout,
            data=form.data,
            updated_at=form.updated_at,
        )

    async def start_signing(self, owner: Principal, form_id: str, provider: str) -> Form:
        """Store the printed PDF and ask for the citizen's signature (SignRequested via outbox)."""
        if not owner.citizen_id:
            raise SignerIdMissing()
        form = await self.get_form(owner, form_id)
        if not form.editable:
            raise FormLocked()
        rendered = await self.render(form)
        problem = await asyncio.to_thread(signing_problem, rendered.pdf)
        if problem is not None:
            logger.error("rendered form cannot be signed", extra={"reason": problem.code})
            raise FormUnsignable(problem.message, extra={"reason": problem.code})
        stored = await self.files.put_rendered(
            form_id, form.revision, rendered.pdf, rendered.sha256
        )
        obj = ObjectRef(
            bucket=self.files.bucket,
            key=stored.key,
            version=RENDERED_VERSION,
            sha256=stored.sha256,
            size=stored.size,
            content_type=PDF,
            filename=pdf_filename(form.title, signed=False),
        )
        now = utc_now()
        request = FormSignRequest(request_id=uuid.uuid4().hex, provider=provider, requested_at=now)
        event = SignRequested(
            request_id=request.request_id,
            source="eforms",
            source_id=form_id,
            document_name=form.title,
            object=obj,
            signer_id=owner.citizen_id,
            signer_sub=owner.sub,
            provider=provider,
            reason="Ký số tờ khai điện tử",
            visible_stamp=StampOptions(page=rendered.stamp_page, box=rendered.stamp_box),
        )
        updated = await self.forms.start_signing(
            form_id, owner.sub, form.revision, request, obj, [event], now
        )
        if updated is None:
            raise FormLocked()
        self.nudge(form_id)
        return updated

    async def open_signed_pdf(
        self, owner: Principal, form_id: str
    ) -> tuple[ObjectRef, AsyncIterator[bytes]]:
        """The signed PDF of one of the caller's signed forms, and its bytes as a stream."""
        form = await self.get_form(owner, form_id)
        if form.status != FormStatus.SIGNED or form.signed is None:
            raise FormNotSigned()
        return form.signed, await self.files.open(form.signed.key)

    async def handle_sign_completed(self, event: SignCompleted) -> bool:
        """Apply the final signing outcome once; redeliveries and stale requests change nothing.

        Returns whether it changed the form.
        """
        if event.source != "eforms":
            return False
        form = await self.forms.get(event.source_id)
        if form is None or not form.awaits(event.request_id):
            logger.info(
                "sign outcome ignored (unknown, stale or already applied)",
                extra={"form_id": event.source_id, "request_id": event.request_id},
            )
            return False
        if event.status == "signed" and event.signed_object is not None:
            source = event.signed_object
            key = await self.files.copy_signed(source.bucket, source.key, form.id, event.request_id)
            signed = ObjectRef(
                bucket=self.files.bucket,
                key=key,
                version=SIGNED_VERSION,
                sha256=source.sha256,
                size=source.size,
                content_type=PDF,
                filename=pdf_filename(form.title, signed=True),
            )
            signature = FormSignature(
                format=event.signature_format,
                signer_name=event.signer_name,
                signer_subject=event.signer_subject,
                signer_serial=event.signer_serial,
                signed_at=event.signed_at,
                pades_level=event.pades_level,
            )
            changed = await self.forms.mark_signed(
                form.id,
                event.request_id,
                signed=signed,
                signature=signature,
                signed_at=event.signed_at or utc_now(),
            )
        else:
            outcome = "failed" if event.status == "signed" else event.status
            changed = await self.forms.mark_sign_failed(
                form.id,
                event.request_id,
                outcome=outcome,
                reason=failure_reason(outcome, event.failure_reason),
            )
        if changed is None:
            logger.info("sign outcome already applied", extra={"form_id": form.id})
            return False
        logger.info(
            "sign outcome applied", extra={"form_id": form.id, "status": changed.status.value}
        )
        return True
