"""The frame's other pages: home, the sections still to come, static assets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from hoso_portal import words
from hoso_portal.deps import OptionalSessionDep, PortalDep, SessionDep
from hoso_portal.errors import PageNotFound
from hoso_portal.pages import render

router = APIRouter()

HTMX_FILE = ("htmx.org", "dist", "htmx.min.js")

SECTIONS = {
    "/thong-bao": words.NAV_NOTICES,
}


@router.get("/")
async def home(request: Request, session: OptionalSessionDep) -> Response:
    """The vault for a logged-in citizen, otherwise a page with "Đăng nhập"."""
    if session is not None:
        return RedirectResponse("/ho-so-dien-tu", status_code=303)
    return render(request, "home.html")


def _section(path: str, title: str) -> None:
    async def page(request: Request, session: SessionDep) -> Response:
        return render(request, "section.html", {"title": title})

    page.__doc__ = f"{title} (not yet built)."
    router.add_api_route(path, page, methods=["GET"], name=path.strip("/"))


for _path, _title in SECTIONS.items():
    _section(_path, _title)


@router.get("/static/vendor/htmx.min.js")
async def htmx(portal: PortalDep) -> Response:
    """htmx as `make up` installed it from npm; pages work without it."""
    path = portal.settings.assets_dir.joinpath(*HTMX_FILE)
    if not path.is_file():
        raise PageNotFound()
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/health/live", include_in_schema=False)
async def live() -> dict[str, str]:
    return {"status": "ok"}
