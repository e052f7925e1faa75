"""The frame's other pages: home and static assets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from hoso_portal.deps import OptionalSessionDep, PortalDep
from hoso_portal.errors import PageNotFound
from hoso_portal.pages import render

router = APIRouter()

HTMX_FILE = ("htmx.org", "dist", "htmx.min.js")


@router.get("/")
async def home(request: Request, session: OptionalSessionDep) -> Response:
    """The vault for a logged-in citizen, the console for an officer, else "Đăng nhập"."""
    if session is not None:
        officer = session.data.has_role("officer") or session.data.has_role("admin")
        return RedirectResponse("/can-bo/ho-so" if officer else "/ho-so-dien-tu", status_code=303)
    return render(request, "home.html")


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
