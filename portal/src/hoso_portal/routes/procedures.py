""" "Thủ tục hành chính": the searchable procedure list and each procedure's page."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hoso_portal.deps import PortalDep, SessionDep
from hoso_portal.errors import PageNotFound
from hoso_portal.pages import render

router = APIRouter()

PROCEDURES = "/thu-tuc"
PAGE_SIZE = 20
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


@router.get(PROCEDURES)
async def procedure_list(
    request: Request,
    session: SessionDep,
    portal: PortalDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    trang: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    """Search by words of the name or the code ("khai sinh" finds "Đăng ký khai sinh")."""
    query = (q or "").strip() or None
    # one extra row tells whether there is a next page
    items = await portal.submission.procedures(
        session.token, q=query, limit=PAGE_SIZE + 1, offset=(trang - 1) * PAGE_SIZE
    )
    return render(
        request,
        "procedures.html",
        {
            "items": items[:PAGE_SIZE],
            "q": query or "",
            "page": trang,
            "has_next": len(items) > PAGE_SIZE,
        },
    )


@router.get(PROCEDURES + "/{code}")
async def procedure_page(
    request: Request, code: str, session: SessionDep, portal: PortalDep
) -> Response:
    """One procedure: components, agency, processing time, fee, and "Nộp hồ sơ"."""
    if not _CODE.match(code):
        raise PageNotFound()
    procedure = await portal.submission.procedure(session.token, code)
    return render(request, "procedure.html", {"procedure": procedure})
