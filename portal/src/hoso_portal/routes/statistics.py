""" "Thống kê": service statistics for officers (their agency) and admins (every agency)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hoso_portal.charts import bar_chart, stacked_chart
from hoso_portal.deps import PortalDep, SessionDep
from hoso_portal.pages import render

router = APIRouter()

STATISTICS = "/thong-ke"
_AGENCY = re.compile(r"^[A-Z0-9-]{1,40}$")


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


def _rate(on_time: int, completed: int) -> str:
    return f"{on_time / completed * 100:.1f} %".replace(".", ",") if completed else "—"


def _days(seconds: int, completed: int) -> str:
    return f"{seconds / completed / 86400:.1f} ngày".replace(".", ",") if completed else "—"


def _months(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's rows summed per month, oldest first, for the chart of outcomes."""
    months: dict[str, dict[str, int]] = {}
    for row in rows:
        month = months.setdefault(
            row["month"], dict.fromkeys(("on_time", "late", "open", "overdue"), 0)
        )
        month["on_time"] += row["on_time"]
        month["late"] += row["late"]
        month["overdue"] += row["overdue"]
        month["open"] += row["in_progress"] - row["overdue"]
    return [{"month": m, **months[m]} for m in sorted(months)]


@router.get(STATISTICS)
async def statistics_page(
    request: Request,
    session: SessionDep,
    portal: PortalDep,
    co_quan: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Received, in progress, on time, late and overdue, per procedure and month."""
    agency = co_quan.strip().upper() if co_quan and co_quan.strip() else None
    if agency is not None and not _AGENCY.match(agency):
        agency = None
    report = await portal.submission.statistics(session.token, agency)
    rows = report["rows"]
    for row in rows:
        completed = row["on_time"] + row["late"]
        row["month_label"] = _month_label(row["month"])
        row["rate"] = _rate(row["on_time"], completed)
        row["average"] = _days(row["processing_s"], completed)
    totals = report["totals"]
    completed = totals["on_time"] + totals["late"]
    daily = [
        (date.fromisoformat(d["day"]).strftime("%d/%m"), d["received"]) for d in report["daily"]
    ]
    months = _months(rows)
    outcome_chart = stacked_chart(
        [
            (
                _month_label(m["month"]),
                [
                    ("Đúng hạn", m["on_time"], "bar-on-time"),
                    ("Trễ hạn", m["late"], "bar-late"),
                    ("Đang giải quyết", m["open"], "bar-open"),
                    ("Quá hạn", m["overdue"], "bar-overdue"),
                ],
            )
            for m in months
        ]
    )
    return render(
        request,
        "statistics.html",
        {
            "report": report,
            "rows": rows,
            "totals": totals,
            "rate": _rate(totals["on_time"], completed),
            "average": _days(
                round((totals.get("average_processing_days") or 0) * 86400 * completed), completed
            ),
            "daily": report["daily"],
            "daily_chart": bar_chart(daily),
            "months": months,
            "outcome_chart": outcome_chart,
            "all_agencies": report["agency_code"] is None,
            "chosen_agency": agency or "",
        },
    )
