"""HTTP routes: the public procedure catalogue, citizens' dossiers and officers' inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from hoso_common.auth import CitizenUser, CurrentUser, OfficerUser
from hoso_common.downloads import content_disposition
from hoso_common.errors import AppError, BadRequest, Unprocessable
from hoso_common.validation import HexIdPath, LimitQuery, OffsetQuery
from hoso_submission.api.deps import AccessToken, Service, Statistics
from hoso_submission.api.multipart import MultipartFileReader
from hoso_submission.api.schemas import (
    ActionCreate,
    DossierCreate,
    DossierList,
    DossierPublic,
    EformAttachmentCreate,
    InboxPublic,
    ProcedureList,
    ProcedurePublic,
    ResultSignCreate,
    SubmissionPublic,
    VaultAttachmentCreate,
    WithdrawCreate,
    status_counts,
)
from hoso_submission.domain.inbox import InboxFilter
from hoso_submission.domain.statistics import StatisticsReport
from hoso_submission.domain.status import OFFICER_ACTIONS, Action, DossierStatus
from hoso_submission.errors import (
    IdempotencyKeyRequired,
)

router = APIRouter(prefix="/v1")

Limit = LimitQuery
Offset = OffsetQuery
DossierId = HexIdPath
StatusQuery = Annotated[list[DossierStatus] | None, Query(alias="status")]


@router.get("/procedures", response_model=ProcedureList, tags=["catalogue"])
async def search_procedures(
    service: Service,
    q: Annotated[
        str | None, Query(max_length=200, description="Words of the name or code.")
    ] = None,
    agency: Annotated[str | None, Query(max_length=40, description="Agency code.")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> ProcedureList:
    """Search the procedure catalogue (no login needed)."""
    items = await service.search_procedures(q=q, agency=agency, limit=limit, offset=offset)
    return ProcedureList(items=items, limit=limit, offset=offset)


@router.get("/procedures/{code}", response_model=ProcedurePublic, tags=["catalogue"])
async def read_procedure(code: str, service: Service) -> ProcedurePublic:
    """Read one procedure with its dossier components (no login needed)."""
    return await service.procedure(code)


@router.post(
    "/dossiers",
    response_model=DossierPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["dossiers"],
)
async def create_dossier(body: DossierCreate, user: CitizenUser, service: Service) -> DossierPublic:
    """ "Nộp hồ sơ": start a draft dossier for a procedure."""
    return DossierPublic.of(await service.create(user, body.procedure_code))


@router.get("/dossiers", response_model=DossierList, tags=["dossiers"])
async def list_my_dossiers(
    user: CitizenUser,
    service: Service,
    statuses: StatusQuery = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> DossierList:
    """List the caller's own dossiers, newest first."""
    items = await service.list_own(
        user, statuses=[int(s) for s in statuses or []], limit=limit, offset=offset
    )
    return DossierList(items=[DossierPublic.of(d) for d in items], limit=limit, offset=offset)


@router.get("/dossiers/lookup/{receipt_code}", response_model=DossierPublic, tags=["dossiers"])
async def lookup_dossier(receipt_code: str, user: CitizenUser, service: Service) -> DossierPublic:
    """ "Tra cứu hồ sơ": find one of the caller's dossiers by its receipt code."""
    return DossierPublic.of(await service.lookup(user, receipt_code))


@router.get("/dossiers/{dossier_id}", response_model=DossierPublic, tags=["dossiers"])
async def read_dossier(dossier_id: DossierId, user: CurrentUser, service: Service) -> DossierPublic:
    """Read a dossier: its owner, or an officer of its agency once submitted."""
    dossier = await service.get(user, dossier_id)
    return DossierPublic.of(dossier, agency_view=dossier.owner_id != user.sub)


@router.post(
    "/dossiers/{dossier_id}/components/{code}/upload",
    response_model=DossierPublic,
    tags=["components"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def attach_upload(
    dossier_id: DossierId, code: str, request: Request, user: CitizenUser, service: Service
) -> DossierPublic:
    """ "Từ máy tính": stream a file from the citizen's computer into a component."""
    reader = MultipartFileReader(request)
    try:
        upload = await reader.file()
        dossier = await service.attach_upload(
            user, dossier_id, code, upload.filename, upload.chunks
        )
    except AppError:
        await reader.drain()
        raise
    return DossierPublic.of(dossier)


@router.post(
    "/dossiers/{dossier_id}/components/{code}/vault",
    response_model=DossierPublic,
    tags=["components"],
)
async def attach_from_vault(
    dossier_id: DossierId,
    code: str,
    body: VaultAttachmentCreate,
    user: CitizenUser,
    token: AccessToken,
    service: Service,
) -> DossierPublic:
    """Attach a pinned version of a document from the caller's vault (copied, not linked)."""
    dossier = await service.attach_from_vault(
        user,
        dossier_id,
        code,
        document_id=body.document_id,
        version=body.version,
        sha256=body.sha256,
        token=token,
    )
    return DossierPublic.of(dossier)


@router.post(
    "/dossiers/{dossier_id}/components/{code}/eform",
    response_model=DossierPublic,
    tags=["components"],
)
async def attach_eform(
    dossier_id: DossierId,
    code: str,
    body: EformAttachmentCreate,
    user: CitizenUser,
    token: AccessToken,
    service: Service,
) -> DossierPublic:
    """Attach the signed PDF of one of the caller's e-forms, with no download round trip."""
    dossier = await service.attach_eform(user, dossier_id, code, form_id=body.form_id, token=token)
    return DossierPublic.of(dossier)


@router.delete(
    "/dossiers/{dossier_id}/components/{code}", response_model=DossierPublic, tags=["components"]
)
async def detach_component(
    dossier_id: DossierId, code: str, user: CitizenUser, service: Service
) -> DossierPublic:
    """Remove a component's file while the dossier can still be changed."""
    return DossierPublic.of(await service.detach(user, dossier_id, code))


@router.get("/dossiers/{dossier_id}/components/{code}/content", tags=["components"])
async def download_component(
    dossier_id: DossierId, code: str, user: CurrentUser, service: Service
) -> StreamingResponse:
    """Download a component's file (its owner, or an officer of the dossier's agency)."""
    stored, chunks = await service.component_content(user, dossier_id, code)
    return StreamingResponse(
        chunks,
        media_type=stored.content_type,
        headers={
            "Content-Length": str(stored.size),
            "Content-Disposition": content_disposition(stored.filename),
        },
    )


@router.post("/dossiers/{dossier_id}/submit", response_model=SubmissionPublic, tags=["dossiers"])
async def submit_dossier(
    dossier_id: DossierId,
    user: CitizenUser,
    token: AccessToken,
    service: Service,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> SubmissionPublic:
    """Submit (or resubmit after a supplement request); a repeated key returns the same receipt."""
    if not idempotency_key or not idempotency_key.strip():
        raise IdempotencyKeyRequired()
    dossier, submission = await service.submit(user, dossier_id, idempotency_key.strip(), token)
    return SubmissionPublic.of(dossier.id, submission)


@router.post("/dossiers/{dossier_id}/withdraw", response_model=DossierPublic, tags=["dossiers"])
async def withdraw_dossier(
    dossier_id: DossierId, user: CitizenUser, service: Service, body: WithdrawCreate | None = None
) -> DossierPublic:
    """ "Rút hồ sơ": the citizen withdraws a dossier before processing starts."""
    note = body.note if body else None
    return DossierPublic.of(await service.act(user, dossier_id, Action.WITHDRAW, note))


@router.post("/dossiers/{dossier_id}/actions", response_model=DossierPublic, tags=["processing"])
async def act_on_dossier(
    dossier_id: DossierId,
    body: ActionCreate,
    user: OfficerUser,
    token: AccessToken,
    service: Service,
) -> DossierPublic:
    """An officer of the dossier's agency accepts, refuses, asks for more, processes, returns."""
    if body.action not in OFFICER_ACTIONS:
        raise Unprocessable(
            "Thao tác không dành cho cán bộ.",
            extra={"allowed": [a.value for a in OFFICER_ACTIONS]},
        )
    dossier = await service.act(
        user,
        dossier_id,
        body.action,
        body.note,
        token,
        expected_revision=body.expected_revision,
    )
    return DossierPublic.of(dossier, agency_view=True)


@router.post(
    "/dossiers/{dossier_id}/result",
    response_model=DossierPublic,
    tags=["result"],
    responses={
        409: {"description": "Not in processing, or the result awaits its signature"},
        413: {"description": "Larger than the limit"},
        415: {"description": "Not a PDF"},
        422: {"description": "A PDF that cannot be signed (encrypted, damaged)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_result(
    dossier_id: DossierId, request: Request, user: OfficerUser, service: Service
) -> DossierPublic:
    """Attach the result (kết quả giải quyết, a PDF) of a dossier of the officer's agency."""
    reader = MultipartFileReader(request)
    try:
        upload = await reader.file()
        dossier = await service.upload_result(user, dossier_id, upload.filename, upload.chunks)
    except AppError:
        await reader.drain()
        raise
    return DossierPublic.of(dossier, agency_view=True)


@router.post(
    "/dossiers/{dossier_id}/result/sign",
    response_model=DossierPublic,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["result"],
)
async def sign_result(
    dossier_id: DossierId, user: OfficerUser, service: Service, body: ResultSignCreate | None = None
) -> DossierPublic:
    """Ask the officer's own remote signature on the result; SignCompleted ends it."""
    provider = (body or ResultSignCreate()).provider
    return DossierPublic.of(await service.sign_result(user, dossier_id, provider), agency_view=True)


@router.get("/dossiers/{dossier_id}/result/content", tags=["result"])
async def download_result(
    dossier_id: DossierId, user: CurrentUser, service: Service
) -> StreamingResponse:
    """The result file: as it stands for the agency; signed, once returned, for the citizen."""
    stored, chunks = await service.result_content(user, dossier_id)
    return StreamingResponse(
        chunks,
        media_type=stored.content_type,
        headers={
            "Content-Length": str(stored.size),
            "Content-Disposition": content_disposition(stored.filename),
            "X-Content-SHA256": stored.sha256,
        },
    )


@router.get(
    "/dossiers/{dossier_id}/components/{code}/signature-report",
    response_model=dict[str, Any],
    tags=["components"],
)
async def component_signature_report(
    dossier_id: DossierId, code: str, user: CurrentUser, token: AccessToken, service: Service
) -> dict[str, Any]:
    """ "Kiểm tra kết quả ký số" of a component's file: signers, certificates, changes, trust."""
    return await service.signature_report(user, dossier_id, code, token)


@router.get("/inbox", response_model=InboxPublic, tags=["processing"])
async def officer_inbox(
    user: OfficerUser,
    service: Service,
    statuses: StatusQuery = None,
    agency: Annotated[str | None, Query(max_length=40, description="Admins only.")] = None,
    procedure: Annotated[str | None, Query(max_length=40, description="Procedure code.")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Receipt code or the citizen's name.")
    ] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> InboxPublic:
    """ "Hồ sơ cần xử lý": the agency's dossiers, overdue and due today first, with counts."""
    # An officer sees only the agency in the token; an admin any agency, or all of them.
    agency_code = user.agency if user.has("officer") else agency
    if user.has("officer") and not agency_code:
        raise BadRequest("Tài khoản cán bộ chưa được gắn với cơ quan nào.")
    if DossierStatus.DRAFT in (statuses or []):
        raise Unprocessable("Cơ quan không xem được hồ sơ nháp.")
    inbox = InboxFilter(
        agency=agency_code,
        statuses=[int(s) for s in statuses or []],
        procedure_code=procedure or None,
        q=q,
    )
    page = await service.inbox(user, inbox, limit=limit, offset=offset)
    return InboxPublic(
        items=[DossierPublic.of(d, page.now) for d in page.items],
        limit=limit,
        offset=offset,
        total=page.total,
        counts=status_counts(page.counts),
        overdue=page.overdue,
        due_today=page.due_today,
    )


@router.get("/statistics", response_model=StatisticsReport, tags=["processing"])
async def read_statistics(
    user: OfficerUser,
    statistics: Statistics,
    agency: Annotated[
        str | None, Query(max_length=40, description="Admins: one agency; none for all.")
    ] = None,
) -> StatisticsReport:
    """Dossiers received, in progress, completed on time or late and overdue, by procedure
    and month; the on-time rate, the mean processing time and the last 90 days' intake."""
    return await statistics.report(user, agency)
