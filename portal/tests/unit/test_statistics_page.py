"""The statistics page: figures, charts readable without JavaScript, and the agency limit."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from hoso_portal.charts import bar_chart, nice_top, stacked_chart

from .conftest import PortalHarness


def report(agency: str | None) -> dict[str, Any]:
    today = date(2026, 11, 30)
    daily = [
        {"day": (today - timedelta(days=89 - n)).isoformat(), "received": n % 7} for n in range(90)
    ]
    row = {
        "procedure_code": "2.000488",
        "procedure_name": "Cấp Phiếu lý lịch tư pháp",
        "month": "2026-11",
        "received": 40,
        "in_progress": 9,
        "on_time": 24,
        "late": 6,
        "overdue": 3,
        "closed": 1,
        "processing_s": 30 * 3 * 86400,
    }
    totals = {
        "received": 40,
        "in_progress": 9,
        "on_time": 24,
        "late": 6,
        "overdue": 3,
        "closed": 1,
        "on_time_rate": 0.8,
        "average_processing_days": 3.0,
    }
    return {
        "agency_code": agency,
        "today": today.isoformat(),
        "rows": [row],
        "totals": totals,
        "daily": daily,
    }


def test_officers_see_their_agencys_figures_in_tables_and_svg(harness: PortalHarness) -> None:
    harness.submission.reports[None] = report("STP-HNI")
    harness.login()
    page = harness.client.get("/thong-ke")
    assert page.status_code == 200
    html = page.text
    assert "Cơ quan: <strong>STP-HNI</strong>" in html
    for figure in ["80,0 %", "3,0 ngày", "Cấp Phiếu lý lịch tư pháp", "11/2026"]:
        assert figure in html
    # Two inline charts, no script needed, and the figures in tables too.
    assert html.count('<svg class="chart"') == 2
    assert len(re.findall(r"<rect class=\"bar\"", html)) == 90
    assert "30/11/2026" in html  # the last day's row of the daily table
    assert 'name="co_quan"' not in html  # officers have no agency to choose


def test_admins_choose_an_agency_and_a_refusal_is_403(harness: PortalHarness) -> None:
    harness.submission.reports[None] = report(None)
    harness.submission.reports["CA-HNI"] = report("CA-HNI")
    harness.login()
    everything = harness.client.get("/thong-ke").text
    assert "Tất cả cơ quan" in everything and 'name="co_quan"' in everything
    one = harness.client.get("/thong-ke", params={"co_quan": "ca-hni"}).text
    assert "Cơ quan: <strong>CA-HNI</strong>" in one
    refused = harness.client.get("/thong-ke", params={"co_quan": "UBND-HNI"})
    assert refused.status_code == 403
    assert "Cán bộ chỉ xem được thống kê của cơ quan mình." in refused.text


def test_chart_geometry_fits_the_axis() -> None:
    assert [nice_top(v) for v in (0, 1, 3, 7, 12, 99, 101)] == [1, 1, 5, 10, 20, 100, 200]
    chart = bar_chart([("01/11", 5), ("02/11", 8), ("03/11", 0)], label_every=2)
    assert [t.value for t in chart.ticks] == [0, 2, 4, 6, 8]  # four round steps
    tallest = max(chart.bars, key=lambda b: b.value)
    assert tallest.y == chart.ticks[-1].y  # 8 is the axis top
    assert chart.bars[2].height == 0
    assert [label.text for label in chart.labels] == ["01/11", "03/11"]
    stacked = stacked_chart([("11/2026", [("a", 3, "x"), ("b", 2, "y")])])
    first, second = stacked.bars
    assert second.y + second.height == first.y  # stacked on top of each other
    assert first.y + first.height == stacked.baseline
