"""Use cases of dossiers: create, attach components, submit, and move through statuses."""

from __future__ import annotations

import logging
import posixpath
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hoso_common.auth import Principal
from hoso_common.clock import utc_now
from hoso_common.events import (
    DossierComponentRef,
    DossierResultReturned,
    DossierStatusChanged,
    DossierSubmitted,
    EventData,
    ObjectRef,
    SignCompleted,
    SignRequested,
    StampOptions,
)
from hoso_common.storage import ObjectNotFound
from hoso_submission.clients import FilledForm, VaultDocument
from hoso_submission.domain import status as machine
from hoso_submission.domain.calendar import CLOCK_RUNNING, WorkingCalendar
from hoso_submission.domain.dossier import (
    Attachment,
    ComponentFault,
    Dossier,
    HistoryEntry,
    SignatureCheck,
    Submission,
    submission_faults,
)
from hoso_submission.domain.file_types import type_of_media
from hoso_submission.domain.inbox import (
    InboxFilter,
    due_today_query,
    inbox_query,
    overdue_query,
    status_counts_pipeline,
)
from hoso_submission.domain.procedures import (
    ComponentSource,
    ComponentSpec,
    Procedure,
    search_text,
)
from hoso_submission.domain.receipt import local_day, receipt_code
from hoso_submission.domain.result import (
    RESULT_EDITABLE_STATUS,
    RESULT_PROBLEM_MESSAGES,
    DossierResult,
    ResultProblem,
    ResultSignature,
    ResultSignRequest,
    ResultStatus,
    completion_problem,
    sign_failure_message,
    signature_problem,
)
from hoso_submission.domain.status import Action, DossierStatus
from hoso_submission.errors import (
    ComponentNotFound,
    DocumentVersionMismatch,
    DossierIncomplete,
    DossierNotEditable,
    DossierNotFound,
    FormNotSigned,
    FormTemplateMismatch,
    IllegalTransition,
    NoteRequired,
    ProcedureNotFound,
    ResultAlreadySigned,
    ResultMissing,
    ResultNotEditable,
    ResultNotFound,
    ResultNotSigned,
    ResultSignatureInvalid,
    ResultSigning,
    SignerIdMissing,
    SourceDocumentNotFound,
    SourceNotAccepted,
    StaleDossier,
    file_too_large,
    file_type_refused,
)
from hoso_submission.repository import (
    DossierRepository,
    ProcedureRepository,
    ReceiptCounterRepository,
)
from hoso_submission.storage import AttachmentStore

logger = logging.getLogger(__name__)


class Vault(Protocol):
    async def document(self, document_id: str, token: str) -> VaultDocument | None: ...


class Eforms(Protocol):
    async def form(self, form_id: str, token: str) -> FilledForm | None: ...


class SignatureValidator(Protocol):
    async def validate(self, stored: ObjectRef, token: str, subject: str) -> SignatureCheck: ...


class SignatureReporter(SignatureValidator, Protocol):
    async def report(self, stored: ObjectRef, token: str, subject: str) -> dict[str, Any]: ...


def can_see(principal: Principal, dossier: Dossier) -> bool:
    """Citizens see their own dossiers; officers see their agency's submitted ones."""
    if dossier.owner_id == principal.sub:
        return True
    if dossier.status == DossierStatus.DRAFT:
        return False
    if principal.has("admin"):
        return True
    return principal.has("officer") and principal.agency == dossier.agency_code


async def check_submission(
    procedure: Procedure,
    dossier: Dossier,
    validator: SignatureValidator,
    token: str,
    principal: Principal,
) -> tuple[list[ComponentFault], dict[str, SignatureCheck]]:
    """The faults that block submission, and the signature checks made to find them."""
    checks: dict[str, SignatureCheck] = {}
    for spec in procedure.components:
        attachment = dossier.components.get(spec.code)
        if spec.signature_required and attachment is not None:
            checks[spec.code] = await validator.validate(attachment.object, token, principal.sub)
    return submission_faults(procedure, dossier.components, checks), checks


@dataclass(frozen=True)
class InboxPage:
    items: list[Dossier]
    total: int
    counts: dict[int, int]
    overdue: int
    due_today: int
    now: datetime


@dataclass
class DossierService:
    dossiers: DossierRepository
    procedures: ProcedureRepository
    counters: ReceiptCounterRepository
    attachments: AttachmentStore
    vault: Vault
    eforms: Eforms
    validator: SignatureReporter
    nudge: Callable[[str], None]
    result_max_bytes: int = 20 * 1024 * 1024
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    # -- the catalogue -------------------------------------------------------------------

    async def search_procedures(
        self, *, q: str | None, agency: str | None, limit: int, offset: int
    ) -> list[Procedure]:
        return await self.procedures.search(q=q, agency=agency, limit=limit, offset=offset)

    async def procedure(self, code: str) -> Procedure:
        procedure = await self.procedures.get(code)
        if procedure is None:
            raise ProcedureNotFound()
        return procedure

    # -- reading -------------------------------------------------------------------------

    async def get(self, principal: Principal, dossier_id: str) -> Dossier:
        dossier = await self.dossiers.get(dossier_id)
        if dossier is None or not can_see(principal, dossier):
            raise DossierNotFound()
        return dossier

    async def component_content(
        self, principal: Principal, dossier_id: str, code: str
    ) -> tuple[ObjectRef, AsyncIterator[bytes]]:
        """A component's stored file and its bytes, for whoever may see the dossier."""
        dossier = await self.get(principal, dossier_id)
        attachment = dossier.components.get(code)
        if attachment is None:
            raise ComponentNotFound("Thành phần hồ sơ này chưa có tệp đính kèm.")
        stored = attachment.object
        try:
            return stored, await self.attachments.stream(stored)
        except ObjectNotFound as error:
            raise ComponentNotFound("Tệp của thành phần hồ sơ không còn tồn tại.") from error

    async def list_own(
        self, principal: Principal, *, statuses: list[int], limit: int, offset: int
    ) -> list[Dossier]:
        """The caller's own dossiers, newest first."""
        return await self.dossiers.list_for_owner(
            principal.sub, statuses=statuses, limit=limit, offset=offset
        )

    async def get_own(self, principal: Principal, dossier_id: str) -> Dossier:
        dossier = await self.dossiers.get(dossier_id)
        if dossier is None or dossier.owner_id != principal.sub:
            raise DossierNotFound()
        return dossier

    async def lookup(self, principal: Principal, code: str) -> Dossier:
        dossier = await self.dossiers.find_by_receipt(code.strip().upper())
        if dossier is None or dossier.owner_id != principal.sub:
            raise DossierNotFound("Không tìm thấy hồ sơ có mã này.")
        return dossier

    async def _officer_view(self, principal: Principal, dossier_id: str) -> Dossier:
        dossier = await self.dossiers.get(dossier_id)
        if dossier is None or dossier.status == DossierStatus.DRAFT:
            raise DossierNotFound()
        in_agency = principal.has("officer") and principal.agency == dossier.agency_code
        if not (in_agency or principal.has("admin")):
            raise DossierNotFound()
        return dossier

    async def inbox(
        self, principal: Principal, inbox: InboxFilter, *, limit: int, offset: int
    ) -> InboxPage:
        """ "Hồ sơ cần xử lý": one page, the total, the counts by status and of deadlines."""
        now = utc_now()
        items = await self.dossiers.inbox(inbox_query(inbox), limit=limit, offset=offset)
        return InboxPage(
            items=items,
            total=await self.dossiers.count(inbox_query(inbox)),
            counts=await self.dossiers.counts_by_status(status_counts_pipeline(inbox)),
            overdue=await self.dossiers.count(overdue_query(inbox, now)),
            due_today=await self.dossiers.count(due_today_query(inbox, now)),
            now=now,
        )

    async def signature_report(
        self, principal: Principal, dossier_id: str, code: str, token: str
    ) -> dict[str, Any]:
        """The signing service's full report on a component's file, for whoever may see it."""
        dossier = await self.get(principal, dossier_id)
        attachment = dossier.components.get(code)
        if attachment is None:
            raise ComponentNotFound("Thành phần hồ sơ này chưa có tệp đính kèm.")
        return await self.validator.report(attachment.object, token, principal.sub)

    # -- drafting ------------------------------------------------------------------------

    async def create(self, principal: Principal, procedure_code: str) -> Dossier:
        procedure = await self.procedures.get(procedure_code)
        if procedure is None:
            raise ProcedureNotFound()
        now = utc_now()
        dossier = Dossier(
            id=uuid.uuid4().hex,
            owner_id=principal.sub,
            owner_name=principal.name,
            owner_citizen_id=principal.citizen_id,
            owner_search=search_text(principal.name) if principal.name else None,
            procedure_code=procedure.code,
            procedure_name=procedure.name,
            agency_code=procedure.agency.code,
            status=DossierStatus.DRAFT,
            created_at=now,
            updated_at=now,
        )
        await self.dossiers.add(dossier)
        return dossier

    async def _editable_component(
        self, principal: Principal, dossier_id: str, code: str, source: ComponentSource
    ) -> tuple[Dossier, ComponentSpec]:
        dossier = await self.get_own(principal, dossier_id)
        if dossier.status not in machine.EDITABLE:
            raise DossierNotEditable()
        procedure = await self.procedures.get(dossier.procedure_code)
        spec = procedure.component(code) if procedure else None
        if spec is None:
            raise ComponentNotFound()
        if source not in spec.sources:
            raise SourceNotAccepted(
                f"Thành phần «{spec.name}» không nhận tệp từ nguồn này.",
                extra={"component": code, "accepted_sources": spec.sources},
            )
        return dossier, spec

    def _object_key(self, dossier: Dossier, code: str, filename: str) -> str:
        extension = posixpath.splitext(filename)[1].lower()[:10]
        return f"dossiers/{dossier.id}/{code}/{uuid.uuid4().hex}{extension}"

    async def _attach(
        self, principal: Principal, dossier: Dossier, code: str, attachment: Attachment
    ) -> Dossier:
        before = await self.dossiers.set_component(
            dossier.id, principal.sub, code, attachment, attachment.attached_at
        )
        if before is None:
            await self.attachments.delete(attachment.object.key)
            raise DossierNotEditable()
        replaced = before.components.get(code)
        if replaced is not None:
            await self.attachments.delete(replaced.object.key)
        # The update was atomic, so the dossier now is exactly `before` plus this change.
        return before.model_copy(
            update={
                "components": {**before.components, code: attachment},
                "revision": before.revision + 1,
                "updated_at": attachment.attached_at,
            }
        )

    async def attach_upload(
        self,
        principal: Principal,
        dossier_id: str,
        code: str,
        filename: str,
        chunks: AsyncIterator[bytes],
    ) -> Dossier:
        dossier, spec = await self._editable_component(principal, dossier_id, code, "upload")
        key = self._object_key(dossier, code, filename)
        stored = await self.attachments.save_upload(key, filename, chunks, spec)
        attachment = Attachment(source="upload", object=stored, attached_at=utc_now())
        return await self._attach(principal, dossier, code, attachment)

    async def attach_from_vault(
        self,
        principal: Principal,
        dossier_id: str,
        code: str,
        *,
        document_id: str,
        version: int,
        sha256: str,
        token: str,
    ) -> Dossier:
        dossier, spec = await self._editable_component(principal, dossier_id, code, "vault")
        document = await self.vault.document(document_id, token)
        pinned = document.version(version) if document else None
        if pinned is None:
            raise SourceDocumentNotFound("Không tìm thấy tài liệu hoặc phiên bản đã chọn.")
        if pinned.object.sha256 != sha256.lower():
            raise DocumentVersionMismatch()
        self._check_file(spec, pinned.object)
        copied = await self._copy(dossier, code, pinned.object)
        attachment = Attachment(
            source="vault",
            object=copied,
            document_id=document_id,
            document_version=version,
            attached_at=utc_now(),
        )
        return await self._attach(principal, dossier, code, attachment)

    async def attach_eform(
        self, principal: Principal, dossier_id: str, code: str, *, form_id: str, token: str
    ) -> Dossier:
        dossier, spec = await self._editable_component(principal, dossier_id, code, "eform")
        form = await self.eforms.form(form_id, token)
        if form is None:
            raise SourceDocumentNotFound("Không tìm thấy biểu mẫu điện tử.")
        if (
            spec.eform_template is not None
            and form.template_code is not None
            and form.template_code != spec.eform_template
        ):
            raise FormTemplateMismatch(extra={"expected": spec.eform_template})
        if form.status != "signed" or form.signed_pdf is None:
            raise FormNotSigned(extra={"form_status": form.status})
        self._check_file(spec, form.signed_pdf)
        copied = await self._copy(dossier, code, form.signed_pdf)
        attachment = Attachment(
            source="eform", object=copied, form_id=form_id, attached_at=utc_now()
        )
        return await self._attach(principal, dossier, code, attachment)

    @staticmethod
    def _check_file(spec: ComponentSpec, stored: ObjectRef) -> None:
        file_type = type_of_media(stored.content_type)
        if file_type is None or file_type not in spec.file_types:
            raise file_type_refused(spec, "Tài liệu đã chọn không thuộc định dạng được chấp nhận.")
        if stored.size > spec.max_size_bytes:
            raise file_too_large(spec)

    async def _copy(self, dossier: Dossier, code: str, source: ObjectRef) -> ObjectRef:
        try:
            return await self.attachments.copy_in(
                source, self._object_key(dossier, code, source.filename)
            )
        except ObjectNotFound as error:
            raise SourceDocumentNotFound("Tệp của tài liệu đã chọn không còn tồn tại.") from error

    async def detach(self, principal: Principal, dossier_id: str, code: str) -> Dossier:
        dossier = await self.get_own(principal, dossier_id)
        if dossier.status not in machine.EDITABLE:
            raise DossierNotEditable()
        if code not in dossier.components:
            raise ComponentNotFound("Thành phần hồ sơ này chưa có tệp đính kèm.")
        now = utc_now()
        before = await self.dossiers.remove_component(dossier.id, principal.sub, code, now)
        if before is None:
            raise DossierNotEditable()
        removed = before.components.get(code)
        if removed is not None:
            await self.attachments.delete(removed.object.key)
        remaining = {c: a for c, a in before.components.items() if c != code}
        return before.model_copy(
            update={"components": remaining, "revision": before.revision + 1, "updated_at": now}
        )

    # -- submitting ----------------------------------------------------------------------

    async def submit(
        self, principal: Principal, dossier_id: str, idempotency_key: str, token: str
    ) -> tuple[Dossier, Submission]:
        dossier = await self.get_own(principal, dossier_id)
        earlier = dossier.submission_for(idempotency_key)
        if earlier is not None:
            return dossier, earlier
        action = Action.SUBMIT if dossier.status == DossierStatus.DRAFT else Action.RESUBMIT
        try:
            target = machine.next_status(
                action, dossier.status, resume_status=dossier.resume_status
            )
        except machine.IllegalTransition as error:
            raise IllegalTransition("Hồ sơ đã được nộp.") from error
        procedure = await self.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise ProcedureNotFound()
        faults, checks = await check_submission(
            procedure, dossier, self.validator, token, principal
        )
        if faults:
            raise DossierIncomplete(extra={"errors": [f.model_dump() for f in faults]})

        now = utc_now()
        code = dossier.receipt_code
        if code is None:
            sequence = await self.counters.next(dossier.agency_code, local_day(now))
            code = receipt_code(dossier.agency_code, local_day(now), sequence)
        submission = Submission(
            idempotency_key=idempotency_key, receipt_code=code, status=target, submitted_at=now
        )
        entry = HistoryEntry(
            action=action,
            from_status=None if dossier.status == DossierStatus.DRAFT else dossier.status,
            to_status=target,
            actor=principal.sub,
            actor_name=principal.name,
            actor_role="citizen",
            at=now,
        )
        events: list[EventData] = []
        fields: dict[str, object] = {
            f"components.{c}.signature": check.model_dump() for c, check in checks.items()
        }
        # The clock starts again in full at a resubmission: the papers are complete only now.
        fields["due_at"] = self.calendar.due_at(now, procedure.processing_time.working_days)
        fields["deadline_running"] = target in CLOCK_RUNNING
        if action == Action.SUBMIT:
            fields.update({"receipt_code": code, "submitted_at": now})
            events.append(
                DossierSubmitted(
                    dossier_id=dossier.id,
                    receipt_code=code,
                    procedure_code=dossier.procedure_code,
                    agency_code=dossier.agency_code,
                    owner_id=dossier.owner_id,
                    submitted_at=now,
                    components=[
                        DossierComponentRef(code=c, source=a.source, object=a.object)
                        for c, a in dossier.components.items()
                    ],
                )
            )
        else:
            fields["resume_status"] = None
        events.append(self._status_changed(dossier, entry, code))
        updated = await self.dossiers.change_status(
            dossier,
            entry=entry,
            events=events,
            fields=fields,
            submission=submission,
        )
        if updated is None:
            # A concurrent call won; with the same key it is the same submission.
            current = await self.get_own(principal, dossier_id)
            winner = current.submission_for(idempotency_key)
            if winner is not None:
                return current, winner
            raise StaleDossier()
        self.nudge(dossier_id)
        logger.info(
            "dossier submitted",
            extra={"dossier_id": dossier.id, "receipt_code": code, "status": int(target)},
        )
        return updated, submission

    # -- processing ----------------------------------------------------------------------

    async def act(
        self,
        principal: Principal,
        dossier_id: str,
        action: Action,
        note: str | None,
        token: str | None = None,
        *,
        expected_revision: int | None = None,
    ) -> Dossier:
        """Apply an officer's action, or the citizen's withdrawal.

        "Hoàn thành" validates the signed result with the caller's token; "Trả kết quả"
        announces the result (DossierResultReturned) in the same write as the status. With
        `expected_revision`, an action decided on an older view of the dossier is refused
        even when the status happens to allow it again.
        """
        transition = machine.TRANSITIONS[action]
        if transition.actor == "citizen":
            dossier = await self.get_own(principal, dossier_id)
        else:
            dossier = await self._officer_view(principal, dossier_id)
        if expected_revision is not None and expected_revision != dossier.revision:
            raise StaleDossier(extra={"dossier_status": int(dossier.status)})
        try:
            target = machine.next_status(
                action, dossier.status, resume_status=dossier.resume_status, note=note
            )
        except machine.IllegalTransition as error:
            raise IllegalTransition(
                f"Không thể «{transition.label}» khi hồ sơ đang ở trạng thái "
                f"«{machine.status_name(dossier.status)}».",
                extra={"dossier_status": int(dossier.status), "action": action.value},
            ) from error
        except machine.NoteRequired as error:
            raise NoteRequired(f"Vui lòng nhập lý do để «{transition.label}».") from error
        entry = HistoryEntry(
            action=action,
            from_status=dossier.status,
            to_status=target,
            actor=principal.sub,
            actor_name=principal.name,
            actor_role=transition.actor,
            at=utc_now(),
            note=note.strip() if note else None,
        )
        fields: dict[str, object] = {"deadline_running": target in CLOCK_RUNNING}
        events: list[EventData] = [self._status_changed(dossier, entry, dossier.receipt_code)]
        if target == DossierStatus.SUPPLEMENT_REQUESTED:
            fields["resume_status"] = int(dossier.status)
        if target == DossierStatus.PROCESSED:
            fields["completed_at"] = entry.at
        if action == Action.COMPLETE:
            fields["result.check"] = await self._checked_result(dossier, principal, token)
        if action == Action.RETURN_RESULT:
            fields["result.returned_at"] = entry.at
            events.append(self._result_returned(dossier, entry.at))
        updated = await self.dossiers.change_status(
            dossier,
            entry=entry,
            events=events,
            fields=fields,
        )
        if updated is None:
            raise StaleDossier()
        self.nudge(dossier.id)
        return updated

    # -- the result (kết quả giải quyết) ----------------------------------------------------

    async def _agency_officer_view(self, principal: Principal, dossier_id: str) -> Dossier:
        """The dossier, for an officer of its own agency only: they prepare and sign results."""
        dossier = await self.dossiers.get(dossier_id)
        if (
            dossier is None
            or dossier.status == DossierStatus.DRAFT
            or not principal.has("officer")
            or principal.agency != dossier.agency_code
        ):
            raise DossierNotFound()
        return dossier

    @staticmethod
    def _editable_result(dossier: Dossier) -> DossierResult | None:
        if dossier.status != RESULT_EDITABLE_STATUS:
            raise ResultNotEditable(extra={"dossier_status": int(dossier.status)})
        if dossier.result is not None and dossier.result.awaiting_signature:
            raise ResultSigning()
        return dossier.result

    async def upload_result(
        self, principal: Principal, dossier_id: str, filename: str, chunks: AsyncIterator[bytes]
    ) -> Dossier:
        """Attach (or replace) the result PDF while the dossier is being processed."""
        dossier = await self._agency_officer_view(principal, dossier_id)
        replaced = self._editable_result(dossier)
        key = f"dossiers/{dossier.id}/result/{uuid.uuid4().hex}.pdf"
        stored = await self.attachments.save_result(key, filename, chunks, self.result_max_bytes)
        now = utc_now()
        result = DossierResult(
            status=ResultStatus.UPLOADED,
            original=stored,
            uploaded_by=principal.sub,
            uploaded_by_name=principal.name,
            uploaded_at=now,
        )
        updated = await self.dossiers.set_result(dossier, result, now)
        if updated is None:
            await self.attachments.delete(key)
            raise StaleDossier()
        if replaced is not None:
            for old in (replaced.original, replaced.signed):
                if old is not None:
                    await self.attachments.delete(old.key)
        logger.info("dossier result uploaded", extra={"dossier_id": dossier.id})
        return updated

    async def sign_result(self, principal: Principal, dossier_id: str, provider: str) -> Dossier:
        """Ask the officer's own signature on the result (SignRequested through the outbox)."""
        if not principal.citizen_id:
            raise SignerIdMissing()
        dossier = await self._agency_officer_view(principal, dossier_id)
        result = self._editable_result(dossier)
        if result is None:
            raise ResultNotFound("Vui lòng tải lên tệp kết quả giải quyết trước khi ký số.")
        if result.status is ResultStatus.SIGNED:
            raise ResultAlreadySigned()
        now = utc_now()
        request = SignRequested(
            request_id=uuid.uuid4().hex,
            source="submission",
            source_id=dossier.id,
            document_name=f"Kết quả giải quyết hồ sơ {dossier.receipt_code or dossier.id}",
            object=result.original,
            signer_id=principal.citizen_id,
            signer_sub=principal.sub,
            provider=provider,
            reason="Ký số kết quả giải quyết thủ tục hành chính",
            visible_stamp=StampOptions(),
        )
        signing = result.model_copy(
            update={
                "status": ResultStatus.SIGNING,
                "sign_request": ResultSignRequest(
                    request_id=request.request_id,
                    provider=provider,
                    requested_at=now,
                    signer_sub=principal.sub,
                ),
                "failure_reason": None,
                "failure_message": None,
            }
        )
        updated = await self.dossiers.set_result(
            dossier,
            signing,
            now,
            events=[request],
            correlation_id=request.request_id,
        )
        if updated is None:
            raise StaleDossier()
        self.nudge(dossier.id)
        logger.info(
            "dossier result sent for signing",
            extra={"dossier_id": dossier.id, "request_id": request.request_id},
        )
        return updated

    async def record_result_signature(self, event: SignCompleted) -> bool:
        """Apply the outcome of the result's sign request once; returns whether it applied."""
        if event.source != "submission":
            return False
        dossier = await self.dossiers.get(event.source_id)
        result = dossier.result if dossier else None
        if (
            dossier is None
            or result is None
            or result.status is not ResultStatus.SIGNING
            or result.sign_request is None
            or result.sign_request.request_id != event.request_id
        ):
            logger.info(
                "result sign outcome ignored (unknown, stale or already applied)",
                extra={"dossier_id": event.source_id, "request_id": event.request_id},
            )
            return False
        fields: dict[str, object]
        if event.status == "signed" and event.signed_object is not None:
            name = f"ket-qua-giai-quyet-{dossier.receipt_code or dossier.id}.pdf"
            key = f"dossiers/{dossier.id}/result/signed-{event.request_id}.pdf"
            copied = await self.attachments.copy_in(event.signed_object, key)
            signed = copied.model_copy(update={"filename": name, "version": 2})
            signature = ResultSignature(
                signed_by=result.sign_request.signer_sub,
                signer_name=event.signer_name,
                signer_subject=event.signer_subject,
                signer_serial=event.signer_serial,
                signed_at=event.signed_at,
                pades_level=event.pades_level,
            )
            fields = {
                "status": ResultStatus.SIGNED.value,
                "signed": signed.model_dump(mode="python"),
                "signature": signature.model_dump(mode="python"),
                "failure_reason": None,
                "failure_message": None,
            }
        else:
            outcome = "failed" if event.status == "signed" else event.status
            fields = {
                "status": ResultStatus.SIGN_FAILED.value,
                "failure_reason": event.failure_reason or outcome,
                "failure_message": sign_failure_message(outcome),
            }
        applied = await self.dossiers.record_result_signature(
            dossier.id, event.request_id, fields, utc_now()
        )
        logger.info(
            "result sign outcome recorded",
            extra={"dossier_id": dossier.id, "status": fields["status"], "applied": bool(applied)},
        )
        return applied is not None

    async def result_file(self, principal: Principal, dossier_id: str) -> ObjectRef:
        """The result file a caller may download.

        The dossier's agency sees the signed file (or the upload before it is signed); the
        citizen sees the signed result once it has been returned, and nothing before.
        """
        dossier = await self.dossiers.get(dossier_id)
        if dossier is None or not can_see(principal, dossier):
            raise DossierNotFound()
        result = dossier.result
        if dossier.owner_id == principal.sub:
            if dossier.status != DossierStatus.RETURNED or result is None or result.signed is None:
                raise ResultNotFound("Kết quả giải quyết chưa được trả.")
            return result.signed
        if result is None:
            raise ResultNotFound()
        return result.signed or result.original

    async def result_content(
        self, principal: Principal, dossier_id: str
    ) -> tuple[ObjectRef, AsyncIterator[bytes]]:
        """The result file a caller may download, and its bytes."""
        stored = await self.result_file(principal, dossier_id)
        try:
            return stored, await self.attachments.stream(stored)
        except ObjectNotFound as error:
            raise ResultNotFound("Tệp kết quả giải quyết không còn tồn tại.") from error

    async def _checked_result(
        self, dossier: Dossier, principal: Principal, token: str | None
    ) -> dict[str, object]:
        """The validation of the signed result, or the refusal to complete without one."""
        problem = completion_problem(dossier.result)
        if problem is None:
            assert dossier.result is not None and dossier.result.signed is not None
            if token is None:
                raise ResultNotSigned()
            check = await self.validator.validate(dossier.result.signed, token, principal.sub)
            problem = signature_problem(check)
            if problem is None:
                return check.model_dump(mode="python")
        message = RESULT_PROBLEM_MESSAGES[problem]
        if problem is ResultProblem.MISSING:
            raise ResultMissing(message)
        if problem is ResultProblem.NOT_SIGNED:
            raise ResultNotSigned(message)
        raise ResultSignatureInvalid(message)

    def _result_returned(self, dossier: Dossier, at: datetime) -> DossierResultReturned:
        result = dossier.result
        if completion_problem(result) is not None or result is None or result.signed is None:
            raise ResultNotSigned(RESULT_PROBLEM_MESSAGES[ResultProblem.NOT_SIGNED])
        signature = result.signature
        return DossierResultReturned(
            dossier_id=dossier.id,
            receipt_code=dossier.receipt_code or dossier.id,
            procedure_code=dossier.procedure_code,
            procedure_name=dossier.procedure_name,
            agency_code=dossier.agency_code,
            owner_id=dossier.owner_id,
            result=result.signed,
            signed_by=signature.signed_by if signature else result.uploaded_by,
            signer_name=signature.signer_name if signature else None,
            signed_at=signature.signed_at if signature else None,
            returned_at=at,
        )

    @staticmethod
    def _status_changed(
        dossier: Dossier, entry: HistoryEntry, code: str | None
    ) -> DossierStatusChanged:
        return DossierStatusChanged(
            dossier_id=dossier.id,
            receipt_code=code,
            from_status=None if entry.from_status is None else int(entry.from_status),
            to_status=int(entry.to_status),
            actor=entry.actor,
            owner_id=dossier.owner_id,
            note=entry.note,
            changed_at=entry.at,
        )
