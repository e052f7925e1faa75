"""Rendering: the Jinja2 environment, the page context every template gets, and formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hoso_common.providers import PROVIDERS
from hoso_portal import words

TEMPLATES = Path(__file__).parent / "templates"
VIETNAM = timezone(timedelta(hours=7), "ICT")


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def vn_datetime(value: Any) -> str:
    """Dates as Vietnamese readers write them, in Vietnam's time: 30/11/2026 14:05."""
    parsed = parse_time(value)
    return parsed.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") if parsed else "—"


def vn_date(value: Any) -> str:
    """The day in Vietnam: 30/11/2026 (a due date is the end of that day)."""
    parsed = parse_time(value)
    return parsed.astimezone(VIETNAM).strftime("%d/%m/%Y") if parsed else "—"


def vn_size(value: Any) -> str:
    size = float(value or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            text = f"{size:.0f}" if unit == "B" or size >= 10 else f"{size:.1f}".replace(".", ",")
            return f"{text} {unit}"
        size /= 1024
    return f"{size:.0f} GB"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    # select_autoescape is already on for .html; keep it explicit, user data is always escaped.
    env.autoescape = True
    env.globals["w"] = words
    # The catalogue of remote-signing CAs, for forms that offer the choice without a call.
    env.globals["signing_providers"] = PROVIDERS
    env.filters["vn_datetime"] = vn_datetime
    env.filters["vn_size"] = vn_size
    env.filters["vn_date"] = vn_date
    return templates


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    session = getattr(request.state, "session", None)
    base = {
        "user_name": session.name if session else None,
        "is_officer": bool(session and (session.has_role("officer") or session.has_role("admin"))),
        "is_citizen": bool(session and session.has_role("citizen")),
        "csrf_token": session.csrf if session else "",
        "path": request.url.path,
        "htmx": request.headers.get("hx-request") == "true",
        "unread": getattr(request.state, "unread", 0),
    }
    return templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code, headers=headers
    )


def refused_status(request: Request) -> int:
    """422 for a form the service refused; htmx swaps only 2xx answers, so it gets 200."""
    return 200 if request.headers.get("hx-request") == "true" else 422


def see_other(request: Request, url: str) -> Response:
    """POST → 303 → GET; htmx navigates the whole page to the same place."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
