""" "Nhập thông tin trực tuyến (E-Form)": fill, "Thêm", "Cập nhật", "In", "Đóng", sign, download."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from hoso_portal.clients.base import Download
from hoso_portal.deps import FormSessionDep, PortalDep, SessionDep, UserSession
from hoso_portal.eform import (
    Catalogue,
    FormBuilder,
    Node,
    change_rows,
    field_errors,
    print_order,
    provinces_needed,
    read_posted,
    to_send,
)
from hoso_portal.errors import ApiProblem, PageNotFound
from hoso_portal.pages import refused_status, render, see_other
from hoso_portal.signing_notice import NoticeLinks, answer_otp, notice_context, show

router = APIRouter()

FORMS = "/bieu-mau"
DOSSIERS = "/ho-so-da-nop"
_FORM_ID = re.compile(r"^[0-9a-f]{32}$")
_DOSSIER_ID = re.compile(r"^[0-9a-f]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_PROVINCE = re.compile(r"^[0-9]{1,8}$")


def form_id(form_id: str) -> str:
    if not _FORM_ID.match(form_id):
        raise PageNotFound()
    return form_id


FormId = Annotated[str, Depends(form_id)]


class Context:
    """The dossier component a form is filled for: where "Đóng" goes and what it attaches to."""

    def __init__(self, dossier: str | None, component: str | None) -> None:
        ok = bool(dossier and component and _DOSSIER_ID.match(dossier) and _CODE.match(component))
        self.dossier = dossier if ok else None
        self.component = component if ok else None

    @property
    def query(self) -> str:
        if not self.dossier or not self.component:
            return ""
        return "?" + urlencode({"ho_so": self.dossier, "tp": self.component})

    @property
    def close_url(self) -> str:
        return f"{DOSSIERS}/{self.dossier}" if self.dossier else DOSSIERS


def context_of(ho_so: str | None = None, tp: str | None = None) -> Context:
    return Context(ho_so, tp)


ContextDep = Annotated[Context, Depends(context_of)]


async def _catalogue(
    portal: PortalDep, session: UserSession, schema: dict[str, Any], data: Any
) -> Catalogue:
    catalogue = Catalogue(provinces=await portal.eforms.provinces(session.token))
    known = {p["code"] for p in catalogue.provinces}
    for code in provinces_needed(schema, data):
        if code in known:
            catalogue.communes[code] = await portal.eforms.communes(session.token, code)
    return catalogue


async def _form_page(
    request: Request,
    portal: PortalDep,
    session: UserSession,
    *,
    template: dict[str, Any],
    data: dict[str, Any],
    ctx: Context,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    schema = template["schema"]
    catalogue = await _catalogue(portal, session, schema, data)
    builder = FormBuilder(schema, catalogue, errors or {}, print_order(template.get("layout")))
    nodes = builder.build(data)
    summary = builder.summary(nodes) if errors else []
    providers: list[dict[str, Any]] = []
    if form is not None and form.get("status") in ("saved", "sign_failed"):
        providers = await portal.signing.providers(session.token)
    action = f"{FORMS}/{form['id']}" if form else request.url.path
    return render(
        request,
        "eform.html",
        {
            "template": template,
            "nodes": nodes,
            "summary": summary,
            "form": form,
            "ctx": ctx,
            "saved": saved,
            "action": action + ctx.query,
            "providers": providers,
        },
        status_code=status_code,
    )


async def _component_template(
    portal: PortalDep, session: UserSession, dossier_id: str, code: str
) -> dict[str, Any]:
    """The template of a dossier component that can be filled online."""
    dossier = await portal.submission.dossier(session.token, dossier_id)
    procedure = await portal.submission.procedure(session.token, dossier["procedure_code"])
    spec = next((c for c in procedure["components"] if c["code"] == code), None)
    if spec is None or not spec.get("eform_template"):
        raise PageNotFound()
    return await portal.eforms.template(session.token, spec["eform_template"])


def _posted(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k.startswith("/")}


@router.get(DOSSIERS + "/{dossier_id}/thanh-phan/{code}/bieu-mau")
async def new_form(
    request: Request, dossier_id: str, code: str, session: SessionDep, portal: PortalDep
) -> Response:
    """An empty e-form for a dossier component, drawn from its template's JSON Schema."""
    ctx = Context(dossier_id, code)
    if not ctx.dossier or not ctx.component:
        raise PageNotFound()
    template = await _component_template(portal, session, dossier_id, code)
    return await _form_page(request, portal, session, template=template, data={}, ctx=ctx)


@router.post(DOSSIERS + "/{dossier_id}/thanh-phan/{code}/bieu-mau")
async def add_form(
    request: Request, dossier_id: str, code: str, session: FormSessionDep, portal: PortalDep
) -> Response:
    """ "Thêm" saves the form; the other buttons redraw the page (rows, communes) unsaved."""
    ctx = Context(dossier_id, code)
    if not ctx.dossier or not ctx.component:
        raise PageNotFound()
    template = await _component_template(portal, session, dossier_id, code)
    posted = await request.form()
    data = read_posted(template["schema"], _posted(posted))
    action = str(posted.get("_action") or "save")
    if action != "save":
        change_rows(data, action)
        return await _form_page(request, portal, session, template=template, data=data, ctx=ctx)
    try:
        form = await portal.eforms.create(
            session.token, template["code"], to_send(template["schema"], data)
        )
    except ApiProblem as problem:
        return await _invalid(request, portal, session, template, data, ctx, problem)
    return see_other(request, f"{FORMS}/{form['id']}?{_query(ctx, xong='1')}")


async def _invalid(
    request: Request,
    portal: PortalDep,
    session: UserSession,
    template: dict[str, Any],
    data: dict[str, Any],
    ctx: Context,
    problem: ApiProblem,
    form: dict[str, Any] | None = None,
) -> Response:
    errors = field_errors(problem.errors) or {"": problem.detail}
    status = refused_status(request)
    return await _form_page(
        request,
        portal,
        session,
        template=template,
        data=data,
        ctx=ctx,
        form=form,
        errors=errors,
        status_code=status,
    )


def _query(ctx: Context, **extra: str) -> str:
    params = {"ho_so": ctx.dossier or "", "tp": ctx.component or "", **extra}
    return urlencode({k: v for k, v in params.items() if v})


async def _template_of(portal: PortalDep, session: UserSession, form: dict[str, Any]) -> Any:
    return await portal.eforms.template_version(
        session.token, form["template_code"], int(form["template_version"])
    )


@router.get(FORMS + "/{form_id}")
async def form_page(
    request: Request,
    fid: FormId,
    session: SessionDep,
    portal: PortalDep,
    ctx: ContextDep,
    xong: Annotated[str | None, Query(max_length=1)] = None,
) -> Response:
    """A saved form: "Cập nhật", "In", "Đóng", and signing; once signed, its download."""
    form = await portal.eforms.get(session.token, fid)
    template = await _template_of(portal, session, form)
    return await _form_page(
        request,
        portal,
        session,
        template=template,
        data=form.get("data") or {},
        ctx=ctx,
        form=form,
        saved=xong == "1",
    )


@router.post(FORMS + "/{form_id}")
async def update_form(
    request: Request, fid: FormId, session: FormSessionDep, portal: PortalDep, ctx: ContextDep
) -> Response:
    """ "Cập nhật": the whole form again, validated by the service."""
    form = await portal.eforms.get(session.token, fid)
    template = await _template_of(portal, session, form)
    posted = await request.form()
    data = read_posted(template["schema"], _posted(posted))
    action = str(posted.get("_action") or "save")
    if action != "save":
        change_rows(data, action)
        return await _form_page(
            request, portal, session, template=template, data=data, ctx=ctx, form=form
        )
    try:
        await portal.eforms.update(session.token, fid, to_send(template["schema"], data))
    except ApiProblem as problem:
        return await _invalid(request, portal, session, template, data, ctx, problem, form)
    return see_other(request, f"{FORMS}/{fid}?{_query(ctx, xong='1')}")


@router.get(FORMS + "/danh-muc/xa-phuong")
async def communes_fragment(request: Request, session: SessionDep, portal: PortalDep) -> Response:
    """htmx: the commune select of an address, for the province just chosen."""
    params = request.query_params
    commune = params.get("xa_phuong", "")
    province_pointer = commune.rsplit("/", 1)[0] + "/tinh_thanh"
    province = params.get(province_pointer, "")
    if not commune.startswith("/") or not commune.endswith("/xa_phuong"):
        raise PageNotFound()
    communes = (
        await portal.eforms.communes(session.token, province) if _PROVINCE.match(province) else []
    )
    node = Node(
        "field",
        commune,
        "Xã/phường/đặc khu",
        required=True,
        input="select",
        options=[(c["code"], c["name"]) for c in communes],
    )
    return render(request, "_commune.html", {"node": node})


def _file_response(file: Download) -> Response:
    headers = {
        name: file.headers[name]
        for name in ("content-disposition", "content-length")
        if name in file.headers
    }
    headers["Cache-Control"] = "private, no-store"
    return StreamingResponse(
        file.chunks(),
        media_type=file.headers.get("content-type", "application/pdf"),
        headers=headers,
    )


@router.get(FORMS + "/{form_id}/in")
async def print_form(fid: FormId, session: SessionDep, portal: PortalDep) -> Response:
    """ "In": the form as a PDF."""
    return _file_response(await portal.eforms.pdf(session.token, fid))


@router.get(FORMS + "/{form_id}/tai-tep")
async def signed_form(fid: FormId, session: SessionDep, portal: PortalDep) -> Response:
    """The signed form, once signed."""
    return _file_response(await portal.eforms.signed_pdf(session.token, fid))


@router.post(FORMS + "/{form_id}/ky-so")
async def sign_form(
    request: Request, fid: FormId, session: FormSessionDep, portal: PortalDep, ctx: ContextDep
) -> Response:
    """ "Ký số" on the printed form with the chosen provider."""
    posted = await request.form()
    provider = posted.get("provider")
    if not isinstance(provider, str) or not provider:
        return see_other(request, f"{FORMS}/{fid}{ctx.query}")
    await portal.eforms.sign(session.token, fid, provider)
    return see_other(request, f"{FORMS}/{fid}/ky-so{ctx.query}")


@router.get(FORMS + "/{form_id}/ky-so")
async def form_signing_notice(
    request: Request, fid: FormId, session: SessionDep, portal: PortalDep, ctx: ContextDep
) -> Response:
    """The same pending, success and failure notices as in the vault."""
    _, context = await _form_notice(portal, session, fid, ctx)
    if context is None:
        return RedirectResponse(f"{FORMS}/{fid}{ctx.query}", status_code=303)
    return show(request, context)


@router.post(FORMS + "/{form_id}/ky-so/otp")
async def authorize_form_otp(
    request: Request, fid: FormId, session: FormSessionDep, portal: PortalDep, ctx: ContextDep
) -> Response:
    """The OTP the CA sent the citizen, for an e-form sign request authorized by OTP."""
    links, context = await _form_notice(portal, session, fid, ctx)
    return await answer_otp(request, portal, session, links, context)


async def _form_notice(
    portal: PortalDep, session: UserSession, fid: str, ctx: Context
) -> tuple[NoticeLinks, dict[str, Any] | None]:
    form = await portal.eforms.get(session.token, fid)
    links = NoticeLinks(
        status_url=f"{FORMS}/{fid}/ky-so{ctx.query}",
        view_url=f"{FORMS}/{fid}{ctx.query}",
        view_label="Xem biểu mẫu",
        back_url=f"{FORMS}/{fid}{ctx.query}",
        back_label=str(form.get("title") or ""),
        subject=str(form.get("title") or ""),
        success_text=f"Biểu mẫu “{form.get('title')}” đã được ký số thành công.",
        preferred_provider=form.get("sign_provider"),
    )
    context = await notice_context(
        portal,
        session,
        links,
        status=form.get("status"),
        request_id=form.get("sign_request_id"),
        failure_message=form.get("failure_reason"),
    )
    if context is not None:
        context["form"] = form
        context["ctx"] = ctx
    return links, context
