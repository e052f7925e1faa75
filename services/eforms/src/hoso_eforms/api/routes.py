"""HTTP routes: templates, the address catalogue, and the citizen's forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import StreamingResponse

from hoso_common.auth import CitizenUser, OfficerUser
from hoso_common.downloads import content_disposition
from hoso_common.validation import VersionPath
from hoso_eforms.api.deps import ServiceDep
from hoso_eforms.api.schemas import (
    CommunePublic,
    FormCreate,
    FormPublic,
    FormSaved,
    FormUpdate,
    ProvincePublic,
    SignStart,
    TemplatePublic,
    TemplateSummary,
    TemplateVersionCreate,
)
from hoso_eforms.domain.forms import FormStatus, pdf_filename
from hoso_eforms.domain.templates import TEMPLATE_CODE_PATTERN

TemplateCode = Annotated[str, Path(pattern=TEMPLATE_CODE_PATTERN)]
FormId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]

templates_router = APIRouter(prefix="/v1/templates", tags=["templates"])
catalogue_router = APIRouter(prefix="/v1/catalogue", tags=["catalogue"])
forms_router = APIRouter(prefix="/v1/forms", tags=["forms"])


@templates_router.get("", response_model=list[TemplateSummary])
async def list_templates(
    service: ServiceDep, procedure_code: Annotated[str | None, Query(max_length=64)] = None
) -> list[TemplateSummary]:
    """List the latest version of each template, optionally for one procedure."""
    return [TemplateSummary.of(t) for t in await service.list_templates(procedure_code)]


@templates_router.get("/{code}", response_model=TemplatePublic)
async def get_template(code: TemplateCode, service: ServiceDep) -> TemplatePublic:
    """Get the latest version of a template."""
    return TemplatePublic.of(await service.latest_template(code))


@templates_router.get("/{code}/versions/{version}", response_model=TemplatePublic)
async def get_template_version(
    code: TemplateCode, version: VersionPath, service: ServiceDep
) -> TemplatePublic:
    """Get one version of a template."""
    return TemplatePublic.of(await service.template_version(code, version))


@templates_router.post(
    "/{code}/versions", response_model=TemplatePublic, status_code=status.HTTP_201_CREATED
)
async def publish_template_version(
    code: TemplateCode, body: TemplateVersionCreate, service: ServiceDep, user: OfficerUser
) -> TemplatePublic:
    """Publish the next version of a template (the procedure's agency, or administrators)."""
    return TemplatePublic.of(await service.publish(code, body, user))


@templates_router.post("/{code}/versions/{version}/retire", response_model=TemplatePublic)
async def retire_template_version(
    code: TemplateCode,
    version: Annotated[int, Path(ge=1)],
    service: ServiceDep,
    user: OfficerUser,
) -> TemplatePublic:
    """Retire a version published by mistake (the procedure's agency, or administrators)."""
    return TemplatePublic.of(await service.retire(code, version, user))


@catalogue_router.get("/provinces", response_model=list[ProvincePublic])
async def list_provinces(service: ServiceDep, response: Response) -> list[ProvincePublic]:
    """List the 34 provinces and centrally-run cities (from 01/07/2025)."""
    response.headers["X-Catalogue-Complete"] = str(service.catalogue_complete).lower()
    return [ProvincePublic(code=p.code, name=p.name, type=p.type) for p in service.provinces()]


@catalogue_router.get("/provinces/{code}/communes", response_model=list[CommunePublic])
async def list_communes(
    code: Annotated[str, Path(max_length=8)], service: ServiceDep, response: Response
) -> list[CommunePublic]:
    """List the communes, wards and special zones of one province."""
    communes = service.communes(code)
    response.headers["X-Catalogue-Complete"] = str(service.catalogue_complete).lower()
    return [CommunePublic(code=c.code, name=c.name, type=c.type) for c in communes]


@forms_router.post("", response_model=FormSaved, status_code=status.HTTP_201_CREATED)
async def create_form(body: FormCreate, service: ServiceDep, user: CitizenUser) -> FormSaved:
    """ "Thêm": validate and save a filled form."""
    form = await service.create_form(user, body.template_code, body.data)
    return FormSaved(**FormPublic.of(form).model_dump())


@forms_router.get("", response_model=list[FormPublic])
async def list_forms(
    service: ServiceDep,
    user: CitizenUser,
    template_code: Annotated[str | None, Query(max_length=64)] = None,
    form_status: Annotated[FormStatus | None, Query(alias="status")] = None,
) -> list[FormPublic]:
    """List the caller's forms, most recently changed first."""
    forms = await service.list_forms(user, template_code=template_code, status=form_status)
    return [FormPublic.of(f) for f in forms]


@forms_router.get("/{form_id}", response_model=FormPublic)
async def get_form(form_id: FormId, service: ServiceDep, user: CitizenUser) -> FormPublic:
    """Get one of the caller's forms."""
    return FormPublic.of(await service.get_form(user, form_id))


@forms_router.put("/{form_id}", response_model=FormSaved)
async def update_form(
    form_id: FormId, body: FormUpdate, service: ServiceDep, user: CitizenUser
) -> FormSaved:
    """ "Cập nhật": validate and replace the data of a form that is not signed."""
    form = await service.update_form(user, form_id, body.data)
    return FormSaved(**FormPublic.of(form).model_dump())


@forms_router.get("/{form_id}/pdf", response_class=Response)
async def print_form(form_id: FormId, service: ServiceDep, user: CitizenUser) -> Response:
    """ "In": the form rendered as a PDF/A-2b document."""
    form, rendered = await service.print_form(user, form_id)
    return Response(
        content=rendered.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                pdf_filename(form.title, signed=False), inline=True
            ),
            "ETag": f'"{rendered.sha256}"',
        },
    )


@forms_router.post(
    "/{form_id}/sign", response_model=FormPublic, status_code=status.HTTP_202_ACCEPTED
)
async def sign_form(
    form_id: FormId, body: SignStart, service: ServiceDep, user: CitizenUser
) -> FormPublic:
    """Ask the chosen provider for the citizen's signature on the printed form."""
    return FormPublic.of(await service.start_signing(user, form_id, body.provider))


@forms_router.get("/{form_id}/signed-pdf", response_class=StreamingResponse)
async def download_signed_pdf(
    form_id: FormId, service: ServiceDep, user: CitizenUser
) -> StreamingResponse:
    """Download the signed PDF of a signed form."""
    signed, chunks = await service.open_signed_pdf(user, form_id)
    return StreamingResponse(
        chunks,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(signed.filename, inline=False),
            "Content-Length": str(signed.size),
            "ETag": f'"{signed.sha256}"',
        },
    )
