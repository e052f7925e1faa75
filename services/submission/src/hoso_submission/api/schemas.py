"""Request and response bodies of the submission API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hoso_common.clock import utc_now
from hoso_common.events import ObjectRef
from hoso_common.providers import ProviderId
from hoso_common.validation import MAX_VERSION, HexId
from hoso_submission.domain.calendar import deadline_state
from hoso_submission.domain.dossier import (
    Attachment,
    Dossier,
    HistoryEntry,
    SignatureCheck,
    Submission,
)
from hoso_submission.domain.procedures import ComponentSource, Procedure
from hoso_submission.domain.result import DossierResult
from hoso_submission.domain.status import (
    OFFICER_ACTIONS,
    STATUS_NAMES,
    TRANSITIONS,
    Action,
    DossierStatus,
    status_name,
)

ProcedurePublic = Procedure


class DossierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure_code: str = Field(min_length=1, max_length=40, description="Procedure to apply for.")


class VaultAttachmentCreate(BaseModel):
    """A document version from the caller's own vault, pinned by its SHA-256."""

    model_config = ConfigDict(extra="forbid")

    document_id: HexId = Field(description="Id of the document in the vault.")
    version: int = Field(ge=1, le=MAX_VERSION, description="Version of the document to attach.")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of that version.")


class EformAttachmentCreate(BaseModel):
    """A signed e-form instance of the caller's."""

    model_config = ConfigDict(extra="forbid")

    form_id: HexId = Field(description="Id of the e-form instance.")


class ActionCreate(BaseModel):
    """An officer's processing action on a dossier."""

    model_config = ConfigDict(extra="forbid")

    action: Action = Field(
        description="One of: " + ", ".join(a.value for a in OFFICER_ACTIONS) + "."
    )
    note: str | None = Field(default=None, max_length=2000, description="Note or reason.")
    expected_revision: int | None = Field(
        default=None,
        ge=0,
        description="The revision the officer decided on; another one answers 409.",
    )


class WithdrawCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000, description="Reason for withdrawing.")


class AttachmentPublic(BaseModel):
    component: str
    source: ComponentSource
    filename: str
    content_type: str
    size: int
    sha256: str
    document_id: str | None = None
    document_version: int | None = None
    form_id: str | None = None
    attached_at: datetime
    signature: SignatureCheck | None = None

    @classmethod
    def of(cls, code: str, attachment: Attachment) -> AttachmentPublic:
        stored: ObjectRef = attachment.object
        return cls(
            component=code,
            source=attachment.source,
            filename=stored.filename,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            document_id=attachment.document_id,
            document_version=attachment.document_version,
            form_id=attachment.form_id,
            attached_at=attachment.attached_at,
            signature=attachment.signature,
        )


class HistoryPublic(BaseModel):
    action: str
    from_status: int | None
    to_status: int
    to_status_name: str
    actor: str
    actor_name: str | None
    actor_role: str
    at: datetime
    note: str | None

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryPublic:
        return cls(
            action=entry.action.value,
            from_status=None if entry.from_status is None else int(entry.from_status),
            to_status=int(entry.to_status),
            to_status_name=status_name(entry.to_status),
            actor=entry.actor,
            actor_name=entry.actor_name,
            actor_role=entry.actor_role,
            at=entry.at,
            note=entry.note,
        )


class ResultSignCreate(BaseModel):
    """Which remote-signing provider holds the officer's certificate."""

    model_config = ConfigDict(extra="forbid")

    provider: ProviderId = Field(default="vnpt-smartca", description="Remote-signing provider.")


class ResultPublic(BaseModel):
    """The dossier's result (kết quả giải quyết) and its signing state."""

    status: str = Field(description="uploaded, signing, signed or sign_failed.")
    filename: str
    size: int
    sha256: str
    uploaded_by_name: str | None
    uploaded_at: datetime
    sign_request_id: str | None = Field(description="The sign request awaited or last made.")
    provider: str | None
    signed: bool
    signed_filename: str | None
    signed_size: int | None
    signed_sha256: str | None
    signer_name: str | None
    signer_subject: str | None
    signer_serial: str | None
    signed_at: datetime | None
    pades_level: str | None
    failure_reason: str | None
    failure_message: str | None
    check: SignatureCheck | None = Field(description="Validation made when completing.")
    returned_at: datetime | None

    @classmethod
    def of(cls, result: DossierResult) -> ResultPublic:
        signature = result.signature
        request = result.sign_request
        signed = result.signed
        return cls(
            status=result.status.value,
            filename=result.original.filename,
            size=result.original.size,
            sha256=result.original.sha256,
            uploaded_by_name=result.uploaded_by_name,
            uploaded_at=result.uploaded_at,
            sign_request_id=request.request_id if request else None,
            provider=request.provider if request else None,
            signed=signed is not None,
            signed_filename=signed.filename if signed else None,
            signed_size=signed.size if signed else None,
            signed_sha256=signed.sha256 if signed else None,
            signer_name=signature.signer_name if signature else None,
            signer_subject=signature.signer_subject if signature else None,
            signer_serial=signature.signer_serial if signature else None,
            signed_at=signature.signed_at if signature else None,
            pades_level=signature.pades_level if signature else None,
            failure_reason=result.failure_reason,
            failure_message=result.failure_message,
            check=result.check,
            returned_at=result.returned_at,
        )


class ActionOption(BaseModel):
    """An officer's action the status machine allows from the dossier's current status."""

    action: Action
    label: str
    note_required: bool


def officer_actions(current: DossierStatus) -> list[ActionOption]:
    return [
        ActionOption(
            action=a, label=TRANSITIONS[a].label, note_required=TRANSITIONS[a].note_required
        )
        for a in OFFICER_ACTIONS
        if current in TRANSITIONS[a].sources
    ]


class DossierPublic(BaseModel):
    id: str
    receipt_code: str | None = Field(description="Mã hồ sơ, once submitted.")
    procedure_code: str
    procedure_name: str
    agency_code: str
    owner_id: str
    owner_name: str | None
    owner_citizen_id: str | None = Field(default=None, description="The citizen's ID number.")
    status: int = Field(description="DVCQG status code; 0 is a draft.")
    status_name: str
    components: list[AttachmentPublic]
    history: list[HistoryPublic]
    submitted_at: datetime | None
    due_at: datetime | None = Field(
        default=None, description="End of the due day (Vietnam time), from the processing time."
    )
    completed_at: datetime | None = Field(
        default=None, description="When it reached 9 Đã xử lý xong."
    )
    deadline: str | None = Field(
        default=None,
        description="While the agency's clock runs: overdue, due_today or on_time.",
    )
    revision: int = Field(default=0, description="Send back as expected_revision with an action.")
    officer_actions: list[ActionOption] = Field(
        default_factory=list, description="What an officer may do from the current status."
    )
    created_at: datetime
    updated_at: datetime
    result: ResultPublic | None = Field(
        default=None,
        description="Kết quả giải quyết: for the agency always, for the citizen once returned.",
    )

    @classmethod
    def of(
        cls, dossier: Dossier, now: datetime | None = None, *, agency_view: bool = False
    ) -> DossierPublic:
        """The dossier as its citizen sees it, or (`agency_view`) as its agency does."""
        result = dossier.result
        shown = result is not None and (agency_view or dossier.status == DossierStatus.RETURNED)
        return cls(
            id=dossier.id,
            receipt_code=dossier.receipt_code,
            procedure_code=dossier.procedure_code,
            procedure_name=dossier.procedure_name,
            agency_code=dossier.agency_code,
            owner_id=dossier.owner_id,
            owner_name=dossier.owner_name,
            owner_citizen_id=dossier.owner_citizen_id,
            status=int(dossier.status),
            status_name=status_name(dossier.status),
            components=[AttachmentPublic.of(c, a) for c, a in dossier.components.items()],
            history=[HistoryPublic.of(h) for h in dossier.history],
            submitted_at=dossier.submitted_at,
            due_at=dossier.due_at,
            completed_at=dossier.completed_at,
            deadline=deadline_state(dossier.due_at, dossier.deadline_running, now or utc_now()),
            revision=dossier.revision,
            officer_actions=officer_actions(dossier.status),
            created_at=dossier.created_at,
            updated_at=dossier.updated_at,
            result=ResultPublic.of(result) if shown and result is not None else None,
        )


class SubmissionPublic(BaseModel):
    """The receipt of a submission (biên nhận)."""

    dossier_id: str
    receipt_code: str = Field(description="Mã hồ sơ.")
    status: int
    status_name: str
    submitted_at: datetime
    message: str

    @classmethod
    def of(cls, dossier_id: str, submission: Submission) -> SubmissionPublic:
        return cls(
            dossier_id=dossier_id,
            receipt_code=submission.receipt_code,
            status=int(submission.status),
            status_name=status_name(submission.status),
            submitted_at=submission.submitted_at,
            message=f"Nộp hồ sơ thành công. Mã hồ sơ: {submission.receipt_code}.",
        )


class DossierList(BaseModel):
    items: list[DossierPublic]
    limit: int
    offset: int


class StatusCount(BaseModel):
    status: int
    status_name: str
    count: int


class InboxPublic(BaseModel):
    """One page of "Hồ sơ cần xử lý", overdue and due-today dossiers first."""

    items: list[DossierPublic]
    limit: int
    offset: int
    total: int = Field(description="Dossiers matching every filter.")
    counts: list[StatusCount] = Field(
        description="Per status, the dossiers matching the filters other than status."
    )
    overdue: int = Field(description="Past their due date while the agency's clock runs.")
    due_today: int = Field(description="Due by the end of today (Vietnam time).")


def status_counts(counts: dict[int, int]) -> list[StatusCount]:
    return [
        StatusCount(status=int(s), status_name=name, count=counts.get(int(s), 0))
        for s, name in STATUS_NAMES.items()
        if s != DossierStatus.DRAFT
    ]


SignatureReportPublic = dict[str, Any]


class ProcedureList(BaseModel):
    items: list[Procedure]
    limit: int
    offset: int


StatusFilter = list[DossierStatus]
