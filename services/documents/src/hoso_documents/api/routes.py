"""HTTP routes of the vault ("Hồ sơ điện tử"); every one is for the owning citizen only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from hoso_common.auth import CitizenUser, Principal
from hoso_common.downloads import content_disposition
from hoso_common.errors import AppError, BadRequest, ServiceUnavailable, problem
from hoso_common.events import StampOptions
from hoso_common.faults import is_transient
from hoso_common.multipart import MalformedForm, StreamingForm, multipart_boundary
from hoso_common.validation import MAX_VERSION, HexIdPath, PageQuery, PageSizeQuery
from hoso_documents.api.deps import SettingsDep, VaultDep
from hoso_documents.api.schemas import (
    DocumentPage,
    DocumentPublic,
    PublicStatus,
    SignRequestCreate,
    UploadForm,
    VersionList,
    VersionPublic,
)
from hoso_documents.config import Settings
from hoso_documents.domain.models import DocumentStatus, SignOptions, UploadInput
from hoso_documents.errors import (
    FileTooLarge,
    MalformedUpload,
    MissingFile,
)

router = APIRouter(prefix="/v1/documents", tags=["documents"])

# Room for the multipart framing and text fields around the file itself.
FORM_OVERHEAD_BYTES = 256 * 1024

UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name", "file"],
                    "properties": {
                        "name": {"type": "string", "description": "Tên giấy tờ."},
                        "file": {"type": "string", "format": "binary"},
                        "sign": {"type": "boolean", "default": False},
                        "provider": {"type": "string", "example": "vnpt-smartca"},
                        "reason": {"type": "string"},
                        "location": {"type": "string"},
                        "visible_stamp": {"type": "boolean", "default": False},
                    },
                }
            }
        },
    }
}


class CitizenIdMissing(BadRequest):
    code = "citizen_id_missing"
    detail = "Tài khoản chưa có số định danh cá nhân nên không thể ký số."


def _field_errors(error: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**err, "loc": ("body", *err["loc"])} for err in error.errors(include_url=False)]
    )


def _check_provider(provider: str | None, principal: Principal, settings: Settings) -> str:
    if not provider:
        raise RequestValidationError(
            [{"loc": ("body", "provider"), "type": "missing", "msg": "provider is required"}]
        )
    if provider not in settings.signing_providers:
        raise RequestValidationError(
            [{"loc": ("body", "provider"), "type": "literal_error", "msg": "unknown provider"}]
        )
    if not principal.citizen_id:
        raise CitizenIdMissing()
    return provider


def _upload_input(
    fields: Mapping[str, str], principal: Principal, settings: Settings
) -> UploadInput:
    try:
        form = UploadForm.model_validate(dict(fields))
    except ValidationError as error:
        raise _field_errors(error) from error
    if not form.sign:
        return UploadInput(name=form.name)
    provider = _check_provider(form.provider, principal, settings)
    return UploadInput(
        name=form.name,
        sign=SignOptions(
            provider=provider,
            reason=form.reason,
            location=form.location,
            visible_stamp=StampOptions() if form.visible_stamp else None,
        ),
    )


@router.post(
    "",
    status_code=201,
    response_model=DocumentPublic,
    openapi_extra=UPLOAD_OPENAPI,
    responses={
        400: {"description": "Empty file or malformed form."},
        413: {"description": "File over the size limit."},
        415: {"description": "Unsupported type, or content not matching its claimed type."},
    },
)
async def create_document(
    request: Request, principal: CitizenUser, vault: VaultDep, settings: SettingsDep
) -> Response | DocumentPublic:
    """Upload a new document ("+ Tải tài liệu mới"), optionally asking for signing ("Ký số")."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.max_upload_bytes + FORM_OVERHEAD_BYTES:
        return _refusal(request, FileTooLarge(extra={"max_bytes": settings.max_upload_bytes}))
    form: StreamingForm | None = None
    try:
        form = StreamingForm(
            multipart_boundary(request.headers.get("content-type")), request.stream()
        )
        file = await form.next_file()
        if file is None:
            raise MissingFile()
        if "name" in form.fields:
            # The fields came first (as browsers send them): refuse bad ones before any upload.
            _upload_input(form.fields, principal, settings)

        async def read_input() -> UploadInput:
            return _upload_input(form.fields, principal, settings)

        document = await vault.upload(
            principal,
            filename=file.filename,
            declared_type=file.content_type,
            chunks=form.file_chunks(),
            read_input=read_input,
        )
    except MalformedForm as error:
        return _refusal(request, MalformedUpload(extra={"reason": str(error)}))
    except AppError as error:
        if form is None or not form.finished:
            return _refusal(request, error)
        raise
    except Exception as error:
        # The database or the store went away mid-upload: 503 with Retry-After, and the
        # rest of the body is not waited for.
        if not is_transient(error):
            raise
        return _refusal(request, ServiceUnavailable())
    return DocumentPublic.of(document, settings.draft_ttl)


def _refusal(request: Request, error: AppError) -> Response:
    """Refuse without reading the rest: closing the connection stops the client's upload."""
    return problem(
        error.status,
        error.code,
        error.title,
        error.detail,
        request.url.path,
        {**(error.headers or {}), "Connection": "close"},
        **error.extra,
    )


@router.get("", response_model=DocumentPage)
async def list_documents(
    principal: CitizenUser,
    vault: VaultDep,
    settings: SettingsDep,
    page: PageQuery = 1,
    size: PageSizeQuery = 20,
    status: Annotated[
        list[PublicStatus] | None, Query(description="Keep only these states.")
    ] = None,
    saved: Annotated[
        bool | None, Query(description="Keep only saved (or unsaved) documents.")
    ] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="By creation date.")] = "desc",
) -> DocumentPage:
    """List the caller's own documents, newest first by default."""
    documents, total = await vault.list_own(
        principal,
        statuses=[DocumentStatus(s) for s in status] if status else None,
        saved=saved,
        order=order,
        page=page,
        size=size,
    )
    return DocumentPage(
        items=[DocumentPublic.of(d, settings.draft_ttl) for d in documents],
        page=page,
        size=size,
        total=total,
    )


@router.get("/{document_id}", response_model=DocumentPublic)
async def get_document(
    document_id: HexIdPath, principal: CitizenUser, vault: VaultDep, settings: SettingsDep
) -> DocumentPublic:
    """One of the caller's documents, with every version's object reference."""
    return DocumentPublic.of(await vault.get(principal, document_id), settings.draft_ttl)


@router.get("/{document_id}/versions", response_model=VersionList)
async def list_versions(
    document_id: HexIdPath, principal: CitizenUser, vault: VaultDep
) -> VersionList:
    """The versions of a document: 1 is the original, each signing adds one."""
    document = await vault.get(principal, document_id)
    return VersionList(
        document_id=document.id,
        current_version=document.current.version,
        items=[VersionPublic.of(v) for v in document.versions],
    )


@router.get(
    "/{document_id}/download",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download(
    document_id: HexIdPath,
    principal: CitizenUser,
    vault: VaultDep,
    version: int | None = Query(
        None, ge=1, le=MAX_VERSION, description="Version number; the current one if unset."
    ),
    part: Literal["content", "signature"] = Query(
        "content", description="The file, or its detached .p7s signature (CAdES)."
    ),
) -> StreamingResponse:
    """Download a version of the file ("Tải tệp"), streamed."""
    ref, chunks = await vault.open_version(
        principal, document_id, version, signature=part == "signature"
    )
    return StreamingResponse(
        chunks,
        media_type=ref.content_type,
        headers={
            "Content-Disposition": content_disposition(ref.filename),
            "X-Content-SHA256": ref.sha256,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/{document_id}/sign", status_code=202, response_model=DocumentPublic)
async def request_signing(
    document_id: HexIdPath,
    body: SignRequestCreate,
    principal: CitizenUser,
    vault: VaultDep,
    settings: SettingsDep,
) -> DocumentPublic:
    """Ask to sign the current version with the chosen provider ("Ký số"); 409 while one runs."""
    _check_provider(body.provider, principal, settings)
    document = await vault.request_signing(principal, document_id, body.to_options())
    return DocumentPublic.of(document, settings.draft_ttl)


@router.post("/{document_id}/save", response_model=DocumentPublic)
async def save_document(
    document_id: HexIdPath, principal: CitizenUser, vault: VaultDep, settings: SettingsDep
) -> DocumentPublic:
    """Keep the document ("Lưu"); unsaved drafts expire."""
    return DocumentPublic.of(await vault.save(principal, document_id), settings.draft_ttl)


@router.delete("/{document_id}", status_code=204, response_class=Response)
async def delete_document(
    document_id: HexIdPath, principal: CitizenUser, vault: VaultDep
) -> Response:
    """Delete a document and all its files; refused (409) while signing is in flight."""
    await vault.delete(principal, document_id)
    return Response(status_code=204)


@router.get("/{document_id}/signatures")
async def check_signatures(
    document_id: HexIdPath, request: Request, principal: CitizenUser, vault: VaultDep
) -> dict[str, Any]:
    """Validate the current version's signatures ("Kiểm tra kết quả ký số")."""
    return await vault.check_signatures(
        principal, document_id, request.headers.get("authorization", "")
    )
