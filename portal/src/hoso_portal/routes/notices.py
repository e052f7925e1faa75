""" "Thông báo": the citizen's notices, read/unread, and the live stream to their open pages."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from hoso_portal.deps import (
    FormSessionDep,
    OptionalSessionDep,
    PortalDep,
    SessionDep,
    unread_count,
)
from hoso_portal.errors import PageNotFound
from hoso_portal.live import LiveEvent, sse
from hoso_portal.pages import render
from hoso_portal.sessions import utcnow

router = APIRouter()

NOTICES = "/thong-bao"
SSE_FILE = ("htmx-ext-sse", "dist", "sse.min.js")
_NOTICE_ID = re.compile(r"^[0-9a-f]{32}$")


def badge_html(templates: Jinja2Templates, unread: int) -> str:
    """The header's unread count, as the page renders it and the stream swaps it in."""
    return str(templates.get_template("_notice_badge.html").render(unread=unread))


@router.get(NOTICES)
async def notices_page(
    request: Request,
    session: SessionDep,
    portal: PortalDep,
    trang: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """ "Thông báo": the citizen's notices, newest first, one page at a time."""
    size = portal.settings.page_size
    items, total = (
        await portal.notices.page(session.token, page=trang, size=size)
        if portal.notices is not None
        else ([], 0)
    )
    context = {
        "notices": items,
        "page": trang,
        "pages": max(1, math.ceil(total / size)),
        "total": total,
    }
    if request.headers.get("hx-request") == "true":
        return render(request, "_notice_list.html", context)
    return render(request, "notices.html", context)


@router.post(NOTICES + "/da-doc")
async def mark_all_read(session: FormSessionDep, portal: PortalDep) -> Response:
    """ "Đánh dấu tất cả đã đọc"."""
    if portal.notices is not None:
        await portal.notices.mark_read(session.token)
    return RedirectResponse(NOTICES, status_code=303)


@router.post(NOTICES + "/{notice_id}/da-doc")
async def mark_read(notice_id: str, session: FormSessionDep, portal: PortalDep) -> Response:
    """Mark one notice read, then go where it points (or back to the list)."""
    if not _NOTICE_ID.match(notice_id):
        raise PageNotFound()
    if portal.notices is not None:
        await portal.notices.mark_read(session.token, notice_id)
    return RedirectResponse(NOTICES, status_code=303)


async def _stream(
    request: Request, portal: PortalDep, session_id: str, sub: str, unread: int | None
) -> AsyncIterator[bytes]:
    heartbeat = portal.settings.live_heartbeat_s
    async with portal.hub.subscribe(sub) as queue:
        # the browser waits this long before reconnecting, and is told the current count at once
        yield b"retry: 5000\n\n"
        if unread is not None:
            yield sse(LiveEvent("badge", badge_html(request.app.state.templates, unread)))
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                # a logged-out or expired session stops receiving anything
                session = await portal.store.get(session_id)
                if session is None or session.expires_at <= utcnow():
                    return
                yield b": keep-alive\n\n"
                continue
            if event is None:
                return
            yield sse(event)


@router.get(NOTICES + "/luong")
async def live_stream(request: Request, session: OptionalSessionDep, portal: PortalDep) -> Response:
    """Server-Sent Events for this citizen's open pages; 204 (stop retrying) when logged out."""
    if session is None:
        return Response(status_code=204)
    unread = await unread_count(portal, session.token)
    return StreamingResponse(
        _stream(request, portal, session.id, session.data.sub, unread),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/static/vendor/sse.min.js")
async def sse_extension(portal: PortalDep) -> Response:
    """htmx's SSE extension as `make up` installed it from npm; pages work without it."""
    path = portal.settings.assets_dir.joinpath(*SSE_FILE)
    if not path.is_file():
        raise PageNotFound()
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"}
    )
