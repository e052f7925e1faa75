"""Submission: checks listed in Vietnamese, receipt codes, idempotency, one DossierSubmitted."""

import asyncio
import re
import uuid
from typing import Any

import httpx
import pytest

from hoso_common import topics
from hoso_testing.identity import IdpClient, TestUser

from .conftest import PNG_BYTES, UpstreamStub, new_draft, pdf_bytes, ready_dossier, submit, upload

pytestmark = pytest.mark.integration


def _events_of(watcher: Any, dossier_id: str) -> list[dict[str, Any]]:
    return watcher.matching(lambda r: r["value"]["data"]["dossier_id"] == dossier_id)


async def test_incomplete_dossier_is_422_listing_components(
    api: httpx.AsyncClient, citizen: TestUser
) -> None:
    dossier_id = await new_draft(api, citizen)
    response = await submit(api, citizen, dossier_id)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "dossier_incomplete"
    assert "Hồ sơ chưa đủ điều kiện" in problem["detail"]
    faults = {e["component"]: e for e in problem["errors"]}
    assert set(faults) == {"TK", "CCCD"}
    assert faults["TK"]["reason"] == "missing"
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in faults["TK"]["message"]
    still = await api.get(f"/v1/dossiers/{dossier_id}", headers=citizen.headers)
    assert still.json()["status"] == 0


async def test_unsigned_or_tampered_form_is_422_for_that_component(
    api: httpx.AsyncClient, citizen: TestUser, upstream: UpstreamStub
) -> None:
    dossier_id = await new_draft(api, citizen)
    await upload(api, citizen, dossier_id, "CCCD", PNG_BYTES, "cccd.png")
    await upload(api, citizen, dossier_id, "TK", pdf_bytes(signed=False))
    response = await submit(api, citizen, dossier_id)
    assert response.status_code == 422
    assert [(e["component"], e["reason"]) for e in response.json()["errors"]] == [
        ("TK", "unsigned")
    ]
    await upload(api, citizen, dossier_id, "TK", pdf_bytes(signed=True, tampered=True))
    response = await submit(api, citizen, dossier_id)
    assert [(e["component"], e["reason"]) for e in response.json()["errors"]] == [
        ("TK", "modified")
    ]
    assert "bị thay đổi sau khi ký số" in response.json()["errors"][0]["message"]
    # The validation ran with the citizen's own token.
    assert upstream.validations[-1]["caller"] == citizen.sub
    assert upstream.validations[-1]["iss"] == "submission"


async def test_submit_gives_receipt_and_emits_dossier_submitted_once(
    api: httpx.AsyncClient, citizen: TestUser, watch: Any
) -> None:
    submitted = await watch(topics.DOSSIER_SUBMITTED)
    changed = await watch(topics.DOSSIER_STATUS_CHANGED)
    dossier_id = await ready_dossier(api, citizen)
    key = uuid.uuid4().hex

    first = await submit(api, citizen, dossier_id, key)
    assert first.status_code == 200, first.text
    receipt = first.json()
    assert re.fullmatch(r"STP-HNI-\d{6}-\d{6}", receipt["receipt_code"])
    assert receipt["status"] == 1
    assert receipt["status_name"] == "Mới đăng ký"
    assert receipt["receipt_code"] in receipt["message"]

    repeats = await asyncio.gather(*(submit(api, citizen, dossier_id, key) for _ in range(3)))
    assert all(r.status_code == 200 and r.json() == receipt for r in repeats)

    event = await submitted.wait_for(lambda r: r["value"]["data"]["dossier_id"] == dossier_id)
    data = event["value"]["data"]
    assert data["receipt_code"] == receipt["receipt_code"]
    assert data["agency_code"] == "STP-HNI"
    assert data["owner_id"] == citizen.sub
    assert {c["code"] for c in data["components"]} == {"TK", "CCCD"}
    assert event["headers"]["ce_type"] == "vn.hoso.submission.DossierSubmitted"
    await changed.wait_for(
        lambda r: (
            r["value"]["data"]["dossier_id"] == dossier_id and r["value"]["data"]["to_status"] == 1
        )
    )
    await asyncio.sleep(2.5)  # more than two relay ticks: a duplicate would have shown up
    assert len(_events_of(submitted, dossier_id)) == 1
    assert len(_events_of(changed, dossier_id)) == 1

    dossier = (await api.get(f"/v1/dossiers/{dossier_id}", headers=citizen.headers)).json()
    assert dossier["receipt_code"] == receipt["receipt_code"]
    assert dossier["history"][0]["to_status"] == 1
    assert dossier["history"][0]["actor"] == citizen.sub
    tk = next(c for c in dossier["components"] if c["component"] == "TK")
    assert tk["signature"]["intact"] and tk["signature"]["trusted"]


async def test_concurrent_first_submits_with_one_key_give_one_receipt(
    api: httpx.AsyncClient, citizen: TestUser, watch: Any
) -> None:
    submitted = await watch(topics.DOSSIER_SUBMITTED)
    dossier_id = await ready_dossier(api, citizen)
    key = uuid.uuid4().hex
    responses = await asyncio.gather(*(submit(api, citizen, dossier_id, key) for _ in range(5)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["receipt_code"] for r in responses}) == 1
    await submitted.wait_for(lambda r: r["value"]["data"]["dossier_id"] == dossier_id)
    await asyncio.sleep(2.5)
    assert len(_events_of(submitted, dossier_id)) == 1


async def test_another_key_after_submission_is_409_and_no_key_is_400(
    api: httpx.AsyncClient, citizen: TestUser
) -> None:
    dossier_id = await ready_dossier(api, citizen)
    missing = await api.post(f"/v1/dossiers/{dossier_id}/submit", headers=citizen.headers)
    assert missing.status_code == 400
    assert missing.json()["code"] == "idempotency_key_required"
    assert (await submit(api, citizen, dossier_id)).status_code == 200
    again = await submit(api, citizen, dossier_id)
    assert again.status_code == 409
    # Components are frozen once submitted.
    frozen = await upload(api, citizen, dossier_id, "CCCD", PNG_BYTES, "cccd.png")
    assert frozen.status_code == 409


async def test_receipt_codes_are_unique_and_sequential_per_agency_day(
    api: httpx.AsyncClient, idp: IdpClient
) -> None:
    citizens = [await idp.citizen() for _ in range(4)]
    dossiers = [await ready_dossier(api, c) for c in citizens]
    responses = await asyncio.gather(
        *(submit(api, c, d) for c, d in zip(citizens, dossiers, strict=True))
    )
    codes = [r.json()["receipt_code"] for r in responses]
    assert len(set(codes)) == 4
    prefixes = {c.rsplit("-", 1)[0] for c in codes}
    assert len(prefixes) == 1
    sequences = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert sequences == list(range(sequences[0], sequences[0] + 4))


async def test_tra_cuu_by_receipt_code_is_own_only(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    dossier_id = await ready_dossier(api, citizen)
    code = (await submit(api, citizen, dossier_id)).json()["receipt_code"]
    found = await api.get(f"/v1/dossiers/lookup/{code}", headers=citizen.headers)
    assert found.status_code == 200
    assert found.json()["id"] == dossier_id
    assert found.json()["status_name"] == "Mới đăng ký"
    other = await idp.citizen()
    assert (await api.get(f"/v1/dossiers/lookup/{code}", headers=other.headers)).status_code == 404

    mine = await api.get("/v1/dossiers", params={"status": 1}, headers=citizen.headers)
    assert [d["id"] for d in mine.json()["items"]] == [dossier_id]
    drafts = await api.get("/v1/dossiers", params={"status": 0}, headers=citizen.headers)
    assert drafts.json()["items"] == []
