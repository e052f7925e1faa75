"""Statistics follow the dossiers through the real Kafka and database, per agency."""

import asyncio
from typing import Any

import httpx
import pytest

from hoso_testing.identity import IdpClient, TestUser

from .conftest import ready_dossier, submit

pytestmark = pytest.mark.integration


async def _report(api: httpx.AsyncClient, user: TestUser, **params: str) -> dict[str, Any]:
    response = await api.get("/v1/statistics", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _row(report: dict[str, Any], procedure: str, month: str) -> dict[str, int]:
    empty = dict.fromkeys(("received", "in_progress", "closed", "on_time", "late", "overdue"), 0)
    for row in report["rows"]:
        if row["procedure_code"] == procedure and row["month"] == month:
            return {name: int(row[name]) for name in empty}
    return empty


async def test_statistics_count_submissions_and_outcomes_of_the_agency(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    officer = await idp.officer("STP-HNI")
    # Earlier tests' events may still be on their way: start from settled counters.
    before = await _report(api, officer)
    for _ in range(30):
        await asyncio.sleep(1)
        again = await _report(api, officer)
        if again["rows"] == before["rows"]:
            break
        before = again
    month = before["today"][:7]
    start = _row(before, "2.000488", month)

    accepted, refused = [await ready_dossier(api, citizen) for _ in range(2)]
    for dossier_id in (accepted, refused):
        assert (await submit(api, citizen, dossier_id)).status_code == 200
    for dossier_id, action, note in ((accepted, "accept", None), (refused, "refuse", "Sai mẫu")):
        response = await api.post(
            f"/v1/dossiers/{dossier_id}/actions",
            json={"action": action, "note": note},
            headers=officer.headers,
        )
        assert response.status_code == 200, response.text

    # The counters follow the events; they catch up within seconds.
    wanted = {**start, "received": start["received"] + 2}
    wanted["in_progress"] = start["in_progress"] + 1
    wanted["closed"] = start["closed"] + 1
    for _ in range(120):
        report = await _report(api, officer)
        if _row(report, "2.000488", month) == wanted:
            break
        await asyncio.sleep(0.5)
    assert _row(report, "2.000488", month) == wanted
    assert report["agency_code"] == "STP-HNI"
    assert {row["procedure_code"] for row in report["rows"]} <= {
        "2.000488",
        *[r["procedure_code"] for r in before["rows"]],
    }
    today = next(d for d in report["daily"] if d["day"] == report["today"])
    assert today["received"] >= 2
    assert len(report["daily"]) == 90

    # Every agency, for an admin, holds at least this agency's figures.
    everything = await _report(api, await idp.admin())
    assert everything["agency_code"] is None
    assert everything["totals"]["received"] >= report["totals"]["received"]


async def test_statistics_are_for_officers_of_the_agency_and_admins(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    response = await api.get("/v1/statistics", headers=citizen.headers)
    assert response.status_code == 403
    stranger = await idp.officer("CA-HNI")
    response = await api.get(
        "/v1/statistics", params={"agency": "STP-HNI"}, headers=stranger.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    own = await _report(api, stranger)
    assert own["agency_code"] == "CA-HNI"
    assert all(row["procedure_code"] != "2.000488" for row in own["rows"])
