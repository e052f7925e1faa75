"""Dossiers, their attached components, and the checks a dossier must pass to be submitted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hoso_common.events import ObjectRef
from hoso_submission.domain.procedures import ComponentSource, Procedure
from hoso_submission.domain.result import DossierResult
from hoso_submission.domain.signature_check import SignatureCheck as SignatureCheck
from hoso_submission.domain.status import Action, DossierStatus


class Attachment(BaseModel):
    """The file that fills one component, pinned in the submission bucket."""

    source: ComponentSource
    object: ObjectRef
    document_id: str | None = Field(default=None, description="Vault document it came from.")
    document_version: int | None = None
    form_id: str | None = Field(default=None, description="E-form instance it came from.")
    attached_at: datetime
    signature: SignatureCheck | None = None


class HistoryEntry(BaseModel):
    """One status change, kept forever on the dossier."""

    action: Action
    from_status: DossierStatus | None
    to_status: DossierStatus
    actor: str
    actor_name: str | None = None
    actor_role: str
    at: datetime
    note: str | None = None


class Submission(BaseModel):
    """The result of one submit call, returned again for a repeat with the same key."""

    idempotency_key: str
    receipt_code: str
    status: DossierStatus
    submitted_at: datetime


class Dossier(BaseModel):
    id: str
    owner_id: str
    owner_name: str | None = None
    owner_citizen_id: str | None = None
    owner_search: str | None = Field(
        default=None, description="The owner's name without diacritics, for the inbox search."
    )
    procedure_code: str
    procedure_name: str
    agency_code: str
    status: DossierStatus
    components: dict[str, Attachment] = Field(default_factory=dict)
    receipt_code: str | None = None
    submitted_at: datetime | None = None
    due_at: datetime | None = Field(
        default=None, description="End of the due day (Vietnam time) as UTC; set at submission."
    )
    completed_at: datetime | None = Field(
        default=None, description="When the dossier reached 9 Đã xử lý xong."
    )
    deadline_running: bool = Field(
        default=False, description="The agency's clock runs (statuses 1, 2 and 4)."
    )
    resume_status: DossierStatus | None = None
    revision: int = 0
    history: list[HistoryEntry] = Field(default_factory=list)
    submissions: list[Submission] = Field(default_factory=list)
    result: DossierResult | None = None
    created_at: datetime
    updated_at: datetime

    def submission_for(self, idempotency_key: str) -> Submission | None:
        return next((s for s in self.submissions if s.idempotency_key == idempotency_key), None)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Dossier:
        return cls.model_validate({**document, "id": document["_id"]})


class ComponentFault(BaseModel):
    """Why one component keeps the dossier from being submitted."""

    component: str = Field(description="Component code.")
    name: str = Field(description="Component name.")
    reason: str = Field(description="Machine-readable reason.")
    message: str = Field(description="What is wrong, in Vietnamese.")


def _fault(code: str, name: str, reason: str, message: str) -> ComponentFault:
    return ComponentFault(component=code, name=name, reason=reason, message=message)


def submission_faults(
    procedure: Procedure,
    components: dict[str, Attachment],
    signatures: dict[str, SignatureCheck],
) -> list[ComponentFault]:
    """Every component at fault; empty when the dossier may be submitted.

    `signatures` holds the validation of each attached component that needs a signature.
    """
    faults: list[ComponentFault] = []
    for spec in procedure.components:
        attachment = components.get(spec.code)
        if attachment is None:
            if spec.required:
                faults.append(
                    _fault(
                        spec.code,
                        spec.name,
                        "missing",
                        f"Thành phần bắt buộc «{spec.name}» chưa có tệp đính kèm.",
                    )
                )
            continue
        if not spec.signature_required:
            continue
        check = signatures.get(spec.code)
        if check is None or not check.signed:
            faults.append(
                _fault(
                    spec.code,
                    spec.name,
                    "unsigned",
                    f"Thành phần «{spec.name}» phải được ký số nhưng tệp chưa có chữ ký số.",
                )
            )
        elif not check.intact:
            faults.append(
                _fault(
                    spec.code,
                    spec.name,
                    "modified",
                    f"Tệp của thành phần «{spec.name}» đã bị thay đổi sau khi ký số.",
                )
            )
        elif not check.trusted:
            faults.append(
                _fault(
                    spec.code,
                    spec.name,
                    "untrusted",
                    f"Chữ ký số trên thành phần «{spec.name}» không được tin cậy "
                    "(chứng thư số không hợp lệ hoặc không do tổ chức được cấp phép phát hành).",
                )
            )
    return faults
