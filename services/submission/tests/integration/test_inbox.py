"""The officers' inbox and console API: due dates, counts, filters, search, order, isolation."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from hoso_common.storage import ObjectStorage
from hoso_submission.domain.calendar import WorkingCalendar, load_holidays
from hoso_testing.identity import IdpClient, TestUser, random_citizen_id
from hoso_testing.kafka import Publish
from hoso_testing.signing.pdfs import build_pdf

from .conftest import ready_dossier, sign_result_as_signing_would, submit

pytestmark = pytest.mark.integration

CALENDAR = WorkingCalendar(load_holidays())


async def _named_citizen(idp: IdpClient) -> TestUser:
    # A name no other run has, so the search finds exactly this citizen's dossiers.
    return await idp.citizen(f"Trần Thị Hộp Thư {uuid.uuid4().hex[:8]}")


async def _submitted(api: httpx.AsyncClient, citizen: TestUser) -> dict[str, Any]:
    dossier_id = await ready_dossier(api, citizen)
    response = await submit(api, citizen, dossier_id)
    assert response.status_code == 200, response.text
    return (await api.get(f"/v1/dossiers/{dossier_id}", headers=citizen.headers)).json()  # type: ignore[no-any-return]


async def _act(
    api: httpx.AsyncClient, officer: TestUser, dossier_id: str, action: str, **body: Any
) -> httpx.Response:
    return await api.post(
        f"/v1/dossiers/{dossier_id}/actions",
        json={"action": action, **body},
        headers=officer.headers,
    )


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_due_date_from_the_working_day_calendar_and_completion_time(
    api: httpx.AsyncClient, idp: IdpClient, storage: ObjectStorage, publish: Publish
) -> None:
    citizen = await _named_citizen(idp)
    dossier = await _submitted(api, citizen)
    # Lý lịch tư pháp: 10 working days.
    expected = CALENDAR.due_at(_when(dossier["submitted_at"]), 10)
    assert _when(dossier["due_at"]) == expected
    assert dossier["deadline"] == "on_time"
    assert dossier["completed_at"] is None
    assert [a["action"] for a in dossier["officer_actions"]] == [
        "accept",
        "refuse",
        "request_supplement",
    ]

    officer = await idp.officer("STP-HNI", citizen_id=random_citizen_id())
    dossier_id = dossier["id"]
    assert (await _act(api, officer, dossier_id, "accept")).status_code == 200
    assert (await _act(api, officer, dossier_id, "start_processing")).status_code == 200
    asked = await _act(api, officer, dossier_id, "request_supplement", note="Thiếu trang 2")
    # The clock stops while the citizen supplies papers.
    assert asked.json()["deadline"] is None
    again = await submit(api, citizen, dossier_id)
    assert again.status_code == 200
    resubmitted = (await api.get(f"/v1/dossiers/{dossier_id}", headers=officer.headers)).json()
    assert resubmitted["deadline"] == "on_time"
    assert _when(resubmitted["due_at"]) == CALENDAR.due_at(_when(resubmitted["updated_at"]), 10)
    # "Hoàn thành" needs the signed result.
    uploaded = await api.post(
        f"/v1/dossiers/{dossier_id}/result",
        files={"file": ("ket-qua.pdf", build_pdf(title="Ket qua"), "application/pdf")},
        headers=officer.headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    await sign_result_as_signing_would(api, officer, dossier_id, storage, publish)
    done = await _act(api, officer, dossier_id, "complete")
    assert done.json()["status"] == 9, done.text
    assert _when(done.json()["completed_at"]) == _when(done.json()["updated_at"])
    assert done.json()["deadline"] is None


async def test_counts_filters_search_and_pages(api: httpx.AsyncClient, idp: IdpClient) -> None:
    citizen = await _named_citizen(idp)
    officer = await idp.officer("STP-HNI")
    first, second, third = [await _submitted(api, citizen) for _ in range(3)]
    await _act(api, officer, second["id"], "accept")

    async def inbox(**params: Any) -> dict[str, Any]:
        response = await api.get("/v1/inbox", params=params, headers=officer.headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    # The name typed without diacritics finds only this citizen's dossiers.
    mine = await inbox(q=citizen.name.lower().replace("ầ", "a").replace("ộ", "o").replace("ư", "u"))
    assert mine["total"] == 3
    counts = {c["status"]: c["count"] for c in mine["counts"]}
    assert counts[1] == 2 and counts[2] == 1 and counts[4] == 0
    assert {c["status_name"] for c in mine["counts"] if c["status"] == 2} == {"Được tiếp nhận"}

    accepted = await inbox(q=citizen.name, status=2)
    assert [d["id"] for d in accepted["items"]] == [second["id"]]
    # Counts stay per status whatever the status filter.
    assert {c["status"]: c["count"] for c in accepted["counts"]}[1] == 2

    by_code = await inbox(q=third["receipt_code"].lower())
    assert [d["id"] for d in by_code["items"]] == [third["id"]]
    assert (await inbox(q=citizen.name, procedure="1.004194"))["total"] == 0
    assert (await inbox(q=citizen.name, procedure="2.000488"))["total"] == 3

    page_one = await inbox(q=citizen.name, limit=2, offset=0)
    page_two = await inbox(q=citizen.name, limit=2, offset=2)
    ids = [d["id"] for d in page_one["items"] + page_two["items"]]
    assert sorted(ids) == sorted([first["id"], second["id"], third["id"]])
    assert page_one["total"] == page_two["total"] == 3


async def test_overdue_and_due_today_come_first_and_are_counted(
    api: httpx.AsyncClient, idp: IdpClient, mongo_client: AsyncMongoClient[dict[str, Any]]
) -> None:
    citizen = await _named_citizen(idp)
    officer = await idp.officer("STP-HNI")
    later, overdue, today = [await _submitted(api, citizen) for _ in range(3)]
    # Ten working days cannot pass in a test: the due dates are moved as time would move them.
    dossiers = mongo_client["hoso_submission_it"]["dossiers"]
    now = datetime.now(UTC)
    await dossiers.update_one({"_id": overdue["id"]}, {"$set": {"due_at": now - timedelta(days=2)}})
    await dossiers.update_one(
        {"_id": today["id"]}, {"$set": {"due_at": now + timedelta(seconds=60)}}
    )

    response = await api.get("/v1/inbox", params={"q": citizen.name}, headers=officer.headers)
    body = response.json()
    assert [d["id"] for d in body["items"]] == [overdue["id"], today["id"], later["id"]]
    assert [d["deadline"] for d in body["items"]] == ["overdue", "due_today", "on_time"]
    assert body["overdue"] == 1
    assert body["due_today"] == 1


async def test_stale_or_concurrent_actions_are_409(api: httpx.AsyncClient, idp: IdpClient) -> None:
    citizen = await _named_citizen(idp)
    dossier = await _submitted(api, citizen)
    one, two = await idp.officer("STP-HNI"), await idp.officer("STP-HNI")
    seen = dossier["revision"]
    accepted = await _act(api, one, dossier["id"], "accept", expected_revision=seen)
    assert accepted.status_code == 200
    # The second officer decided on the page as it was before the first one accepted.
    late = await _act(
        api, two, dossier["id"], "request_supplement", note="x", expected_revision=seen
    )
    assert late.status_code == 409
    assert late.json()["code"] == "dossier_changed"
    again = await _act(
        api, two, dossier["id"], "accept", expected_revision=accepted.json()["revision"]
    )
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


async def test_another_agency_sees_nothing_of_it(api: httpx.AsyncClient, idp: IdpClient) -> None:
    citizen = await _named_citizen(idp)
    dossier = await _submitted(api, citizen)
    stranger = await idp.officer("CA-HNI")
    inbox = await api.get("/v1/inbox", params={"q": citizen.name}, headers=stranger.headers)
    assert inbox.json()["total"] == 0
    assert all(c["count"] == 0 for c in inbox.json()["counts"])
    # An officer cannot widen the inbox to another agency.
    widened = await api.get(
        "/v1/inbox", params={"q": citizen.name, "agency": "STP-HNI"}, headers=stranger.headers
    )
    assert widened.json()["total"] == 0
    for path in ("", "/components/TK/content", "/components/TK/signature-report"):
        response = await api.get(f"/v1/dossiers/{dossier['id']}{path}", headers=stranger.headers)
        assert response.status_code == 404, path
    assert (await _act(api, stranger, dossier["id"], "accept")).status_code == 404


async def test_signature_report_for_the_agency_officer(
    api: httpx.AsyncClient, idp: IdpClient, upstream: Any
) -> None:
    citizen = await _named_citizen(idp)
    dossier = await _submitted(api, citizen)
    officer = await idp.officer("STP-HNI")
    before = len(upstream.validations)
    response = await api.get(
        f"/v1/dossiers/{dossier['id']}/components/TK/signature-report", headers=officer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["signatures"][0]["signer_name"] == "CÔNG DÂN KIỂM THỬ"
    # submission issued the capability to the officer, for the dossier's own object.
    asked = upstream.validations[before]
    assert asked["caller"] == officer.sub
    assert asked["iss"] == "submission"
    assert asked["key"].startswith(f"dossiers/{dossier['id']}/TK/")
    missing = await api.get(
        f"/v1/dossiers/{dossier['id']}/components/GIAY/signature-report", headers=officer.headers
    )
    assert missing.status_code == 404
