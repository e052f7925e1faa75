"""Event contracts exchanged over Kafka: a CloudEvents envelope and one model per event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from hoso_common import topics


class EventData(BaseModel):
    """Base of every event payload; subclasses declare their type, topic and partition key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]
    # The field whose value is the Kafka key: the events of one thing stay in order.
    key_field: ClassVar[str]

    def partition_key(self) -> str:
        return str(getattr(self, self.key_field))


class ObjectRef(BaseModel):
    """A pinned object in S3 storage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket: str = Field(description="S3 bucket that holds the object.")
    key: str = Field(description="Object key inside the bucket.")
    version: int = Field(ge=1, description="Version number of the document this object is.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the object bytes.")
    size: int = Field(ge=0, description="Size of the object in bytes.")
    content_type: str = Field(description="Media type of the object, sniffed from its bytes.")
    filename: str = Field(description="File name shown to people (may contain Vietnamese).")


SignSource = Literal["documents", "eforms", "submission"]
SignOutcome = Literal["signed", "rejected", "expired", "failed"]
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]

# Fields that several events carry with the same meaning, described once.
RequestSource = Annotated[SignSource, Field(description="Service that asked for the signature.")]
SourceId = Annotated[str, Field(description="Id of the document or e-form in the source service.")]
DossierId = Annotated[str, Field(description="Dossier id.")]
ProcedureCode = Annotated[str, Field(description="Administrative procedure code.")]


class DocumentUploaded(EventData):
    """A citizen stored a new document in the vault."""

    event_type: ClassVar[str] = "vn.hoso.documents.DocumentUploaded"
    topic: ClassVar[str] = topics.DOCUMENT_UPLOADED
    key_field: ClassVar[str] = "document_id"

    document_id: str = Field(description="Id of the document in the vault.")
    owner_id: str = Field(description="OIDC subject of the citizen who owns the document.")
    name: str = Field(description="Document name entered by the citizen (tên giấy tờ).")
    object: ObjectRef = Field(description="The uploaded original (version 1).")
    sign_requested: bool = Field(description="Whether signing was asked for with the upload.")


class StampOptions(BaseModel):
    """Where and whether to draw a visible signature stamp."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    page: int = Field(default=-1, description="Page index for the stamp; -1 is the last page.")
    box: tuple[int, int, int, int] = Field(
        default=(360, 40, 560, 110),
        description="Stamp rectangle in PDF points: x1, y1, x2, y2.",
    )


class SignRequested(EventData):
    """A file must be signed by a citizen through a remote-signing CA."""

    event_type: ClassVar[str] = "vn.hoso.signing.SignRequested"
    topic: ClassVar[str] = topics.SIGN_REQUESTED
    key_field: ClassVar[str] = "request_id"

    request_id: str = Field(description="Unique id of this sign request; the idempotency key.")
    source: RequestSource
    source_id: SourceId
    document_name: str = Field(description="Name shown to the citizen on the phone.")
    object: ObjectRef = Field(description="The exact file version to sign.")
    signer_id: str = Field(description="Citizen's 12-digit personal id, the CA's user id.")
    signer_sub: str = Field(description="OIDC subject of the signer.")
    provider: str = Field(description="Remote-signing provider id, e.g. vnpt-smartca.")
    reason: str | None = Field(default=None, description="Signing reason written in the signature.")
    location: str | None = Field(default=None, description="Signing location.")
    visible_stamp: StampOptions | None = Field(
        default=None, description="Draw a visible stamp when set (PDF only)."
    )


class SignApproved(EventData):
    """A CA reported the outcome of a sign request; any signing replica finishes it."""

    event_type: ClassVar[str] = "vn.hoso.signing.SignApproved"
    topic: ClassVar[str] = topics.SIGN_APPROVED
    key_field: ClassVar[str] = "request_id"

    request_id: str = Field(description="Sign request the CA answered.")
    provider: str = Field(description="Provider that answered.")
    transaction_id: str = Field(description="Provider transaction id.")
    outcome: Literal["approved", "rejected", "expired", "failed"] = Field(
        description="What the CA reported."
    )
    signature_value: str | None = Field(
        default=None, description="Base64 signature over the signed attributes, when approved."
    )
    reason: str | None = Field(default=None, description="Provider's reason when not approved.")


class SignCompleted(EventData):
    """A sign request reached its single final outcome."""

    event_type: ClassVar[str] = "vn.hoso.signing.SignCompleted"
    topic: ClassVar[str] = topics.SIGN_COMPLETED
    key_field: ClassVar[str] = "source_id"

    request_id: str = Field(description="The sign request that ended.")
    source: RequestSource
    source_id: SourceId
    status: SignOutcome = Field(description="Final outcome.")
    signer_sub: str | None = Field(
        default=None,
        description="OIDC subject of the citizen who was asked to sign; whom a notice is for.",
    )
    signed_object: ObjectRef | None = Field(
        default=None, description="The signed file (or the .p7s for CAdES), when signed."
    )
    signature_format: Literal["pades", "cades"] | None = Field(
        default=None, description="PAdES for PDF, detached CAdES for other files."
    )
    signer_subject: str | None = Field(default=None, description="Signer certificate subject.")
    signer_name: str | None = Field(default=None, description="Signer's common name.")
    signer_serial: str | None = Field(default=None, description="Signer certificate serial (hex).")
    signed_at: datetime | None = Field(default=None, description="Signing time.")
    pades_level: PadesLevel | None = Field(default=None, description="PAdES level reached.")
    failure_reason: str | None = Field(
        default=None, description="Why it was not signed: rejected, expired or provider error."
    )
    reconciled: bool = Field(
        default=False,
        description="True when signing announces this outcome again, answering SignStatusQueried.",
    )


class SignStatusQueried(EventData):
    """A service has waited too long for a SignCompleted: signing is asked to tell it again.

    Signing answers with the request's SignCompleted (`reconciled: true`) when the request has
    ended; a request it never received is ended as failed (`request_lost`), so that it can no
    longer start. A request still in progress is left to end on its own.
    """

    event_type: ClassVar[str] = "vn.hoso.signing.SignStatusQueried"
    topic: ClassVar[str] = topics.SIGN_STATUS_QUERIED
    key_field: ClassVar[str] = "request_id"

    request_id: str = Field(description="The sign request whose outcome is awaited.")
    source: RequestSource
    source_id: SourceId
    waiting_since: datetime = Field(description="When the source started waiting.")


class DossierComponentRef(BaseModel):
    """One filled component of a submitted dossier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="Component code within the procedure.")
    source: Literal["upload", "vault", "eform"] = Field(description="Where the file came from.")
    object: ObjectRef = Field(description="The pinned file.")


class DossierEvent(EventData):
    """Base of the events about one dossier: keyed by it, so that they stay in order."""

    key_field: ClassVar[str] = "dossier_id"

    dossier_id: DossierId


class DossierSubmitted(DossierEvent):
    """A citizen submitted a dossier; it now has a receipt code."""

    event_type: ClassVar[str] = "vn.hoso.submission.DossierSubmitted"
    topic: ClassVar[str] = topics.DOSSIER_SUBMITTED

    receipt_code: str = Field(description="Receipt code (mã hồ sơ) given to the citizen.")
    procedure_code: ProcedureCode
    agency_code: str = Field(description="Agency that processes the dossier.")
    owner_id: str = Field(description="OIDC subject of the citizen.")
    submitted_at: datetime = Field(description="Submission time.")
    components: list[DossierComponentRef] = Field(description="Filled components.")


class DossierStatusChanged(DossierEvent):
    """A dossier moved between DVCQG status codes."""

    event_type: ClassVar[str] = "vn.hoso.submission.DossierStatusChanged"
    topic: ClassVar[str] = topics.DOSSIER_STATUS_CHANGED

    receipt_code: str | None = Field(description="Receipt code, once submitted.")
    from_status: int | None = Field(description="Previous DVCQG status code.")
    to_status: int = Field(ge=1, le=10, description="New DVCQG status code.")
    actor: str = Field(description="OIDC subject of who made the change.")
    owner_id: str | None = Field(
        default=None, description="OIDC subject of the citizen whose dossier it is."
    )
    note: str | None = Field(default=None, description="Note recorded with the change.")
    changed_at: datetime = Field(description="When the change happened.")


class DossierResultReturned(DossierEvent):
    """An officer returned a dossier's signed result (kết quả giải quyết) to the citizen."""

    event_type: ClassVar[str] = "vn.hoso.submission.DossierResultReturned"
    topic: ClassVar[str] = topics.DOSSIER_RESULT_RETURNED

    receipt_code: str = Field(description="Receipt code (mã hồ sơ).")
    procedure_code: ProcedureCode
    procedure_name: str = Field(description="Procedure name shown to people.")
    agency_code: str = Field(description="Agency that processed the dossier.")
    owner_id: str = Field(description="OIDC subject of the citizen who receives the result.")
    result: ObjectRef = Field(description="The signed result document, pinned in S3.")
    signed_by: str = Field(description="OIDC subject of the officer who signed the result.")
    signer_name: str | None = Field(default=None, description="The officer's name.")
    signed_at: datetime | None = Field(default=None, description="When the officer signed it.")
    returned_at: datetime = Field(description="When the result was returned.")


class NotificationCreated(EventData):
    """The notifications service stored a notification for one person (the portal's live feed)."""

    event_type: ClassVar[str] = "vn.hoso.notifications.NotificationCreated"
    topic: ClassVar[str] = topics.NOTIFICATION_CREATED
    key_field: ClassVar[str] = "recipient"

    notification_id: str = Field(description="Id of the notification in the service.")
    recipient: str = Field(description="OIDC subject of the person it is for.")
    kind: Literal["signing", "dossier", "result"] = Field(
        description="What it is about; names the live event the portal pushes."
    )
    subject_id: str = Field(description="Id of the document or dossier it is about.")
    unread: int = Field(ge=0, description="The person's unread notifications once it was stored.")


DataT = TypeVar("DataT", bound=EventData)


class Envelope(BaseModel, Generic[DataT]):
    """CloudEvents 1.0 structured-mode envelope around one event payload."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents version.")
    id: str = Field(description="Unique event id; consumers dedupe on it.")
    type: str = Field(description="Event type, e.g. vn.hoso.documents.DocumentUploaded.")
    source: str = Field(description="Producing service, as a URI reference.")
    time: datetime = Field(description="When the event happened.")
    schemaversion: int = Field(description="Version of the payload schema.")
    correlationid: str | None = Field(
        default=None, description="Id that ties the events of one user action together."
    )
    datacontenttype: Literal["application/json"] = Field(default="application/json")
    data: DataT = Field(description="The event payload.")


def new_envelope(
    data: DataT, *, source: str, correlation_id: str | None = None, event_id: str | None = None
) -> Envelope[DataT]:
    envelope_type: type[Envelope[DataT]] = Envelope[type(data)]  # type: ignore[misc,assignment]
    return envelope_type(
        id=event_id or str(uuid.uuid4()),
        type=data.event_type,
        source=source,
        time=datetime.now(UTC),
        schemaversion=data.schema_version,
        correlationid=correlation_id,
        data=data,
    )


def cloudevent_headers(envelope: Envelope[Any]) -> dict[str, str]:
    """Headers that let a consumer route or dedupe without parsing the body."""
    # The body is the whole CloudEvent (structured mode) sent as application/json, the
    # content type FastStream decodes; the ce_* headers repeat the routing attributes.
    return {
        "ce_specversion": envelope.specversion,
        "ce_id": envelope.id,
        "ce_type": envelope.type,
        "ce_source": envelope.source,
    }
