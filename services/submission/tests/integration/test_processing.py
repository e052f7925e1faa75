"""Officers process dossiers of their own agency through the DVCQG statuses."""

import uuid
from typing import Any

import httpx
import pytest

from hoso_common import topics
from hoso_common.storage import ObjectStorage
from hoso_testing.identity import IdpClient, TestUser, random_citizen_id
from hoso_testing.kafka import Publish
from hoso_testing.signing.pdfs import build_pdf

from .conftest import (
    PNG_BYTES,
    ready_dossier,
    sign_result_as_signing_would,
    submit,
    upload,
)

pytestmark = pytest.mark.integration


async def _submitted(api: httpx.AsyncClient, citizen: TestUser) -> tuple[str, str]:
    dossier_id = await ready_dossier(api, citizen)
    response = await submit(api, citizen, dossier_id)
    assert response.status_code == 200, response.text
    return dossier_id, str(response.json()["receipt_code"])


async def _act(
    api: httpx.AsyncClient, officer: TestUser, dossier_id: str, action: str, note: str | None = None
) -> httpx.Response:
    return await api.post(
        f"/v1/dossiers/{dossier_id}/actions",
        json={"action": action, "note": note},
        headers=officer.headers,
    )


async def test_officer_of_another_agency_cannot_see_or_touch_it(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    dossier_id, _ = await _submitted(api, citizen)
    stranger = await idp.officer("CA-HNI")
    assert (
        await api.get(f"/v1/dossiers/{dossier_id}", headers=stranger.headers)
    ).status_code == 404
    assert (await _act(api, stranger, dossier_id, "accept")).status_code == 404
    inbox = await api.get("/v1/inbox", headers=stranger.headers)
    assert dossier_id not in [d["id"] for d in inbox.json()["items"]]

    officer = await idp.officer("STP-HNI")
    seen = await api.get(f"/v1/dossiers/{dossier_id}", headers=officer.headers)
    assert seen.status_code == 200
    assert seen.json()["status"] == 1


async def test_citizens_cannot_use_officer_actions(
    api: httpx.AsyncClient, citizen: TestUser
) -> None:
    dossier_id, _ = await _submitted(api, citizen)
    assert (await _act(api, citizen, dossier_id, "accept")).status_code == 403


async def test_illegal_transitions_are_409(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    dossier_id, _ = await _submitted(api, citizen)
    officer = await idp.officer("STP-HNI")
    for action in ("complete", "return_result", "start_processing", "confirm_payment"):
        response = await _act(api, officer, dossier_id, action)
        assert response.status_code == 409, action
        assert response.json()["code"] == "illegal_transition"
        assert "Mới đăng ký" in response.json()["detail"]
    assert (await _act(api, officer, dossier_id, "accept")).status_code == 200
    assert (await _act(api, officer, dossier_id, "accept")).status_code == 409
    assert (await _act(api, officer, dossier_id, "submit")).status_code == 422
    refused_without_reason = await _act(api, officer, dossier_id, "request_supplement")
    assert refused_without_reason.status_code == 422
    assert refused_without_reason.json()["code"] == "note_required"


async def test_full_processing_with_a_supplement_round(
    api: httpx.AsyncClient,
    citizen: TestUser,
    idp: IdpClient,
    watch: Any,
    storage: ObjectStorage,
    publish: Publish,
) -> None:
    changes = await watch(topics.DOSSIER_STATUS_CHANGED)
    returns = await watch(topics.DOSSIER_RESULT_RETURNED)
    dossier_id, receipt = await _submitted(api, citizen)
    officer = await idp.officer("STP-HNI", citizen_id=random_citizen_id())

    inbox = await api.get("/v1/inbox", params={"status": 1, "q": receipt}, headers=officer.headers)
    assert dossier_id in [d["id"] for d in inbox.json()["items"]]

    assert (await _act(api, officer, dossier_id, "accept", "Hồ sơ hợp lệ")).json()["status"] == 2
    assert (await _act(api, officer, dossier_id, "start_processing")).json()["status"] == 4
    asked = await _act(api, officer, dossier_id, "request_supplement", "Ảnh CCCD bị mờ")
    assert asked.json()["status"] == 5
    assert asked.json()["status_name"] == "Yêu cầu bổ sung giấy tờ"

    citizen_view = await api.get(f"/v1/dossiers/lookup/{receipt}", headers=citizen.headers)
    assert citizen_view.json()["history"][-1]["note"] == "Ảnh CCCD bị mờ"
    replaced = await upload(api, citizen, dossier_id, "CCCD", PNG_BYTES + b"ro-hon", "cccd.png")
    assert replaced.status_code == 200
    resubmitted = await submit(api, citizen, dossier_id)
    assert resubmitted.status_code == 200
    assert resubmitted.json()["status"] == 4
    assert resubmitted.json()["receipt_code"] == receipt

    uploaded = await api.post(
        f"/v1/dossiers/{dossier_id}/result",
        files={"file": ("ket-qua.pdf", build_pdf(title="Ket qua"), "application/pdf")},
        headers=officer.headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    signed = await sign_result_as_signing_would(api, officer, dossier_id, storage, publish)
    assert (await _act(api, officer, dossier_id, "complete")).json()["status"] == 9
    done = await _act(api, officer, dossier_id, "return_result", "Đã trả kết quả qua bưu điện")
    assert done.json()["status"] == 10
    assert done.json()["status_name"] == "Đã trả kết quả"

    history = done.json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, 1),
        (1, 2),
        (2, 4),
        (4, 5),
        (5, 4),
        (4, 9),
        (9, 10),
    ]
    assert {h["actor"] for h in history[1:4]} == {officer.sub}
    assert history[4]["actor"] == citizen.sub

    await changes.wait_for(
        lambda r: (
            r["value"]["data"]["dossier_id"] == dossier_id and r["value"]["data"]["to_status"] == 10
        )
    )
    seen = [
        r["value"]["data"]["to_status"]
        for r in changes.matching(lambda r: r["value"]["data"]["dossier_id"] == dossier_id)
    ]
    assert sorted(seen) == sorted([1, 2, 4, 5, 4, 9, 10])
    returned = await returns.wait_for(lambda r: r["value"]["data"]["dossier_id"] == dossier_id)
    data = returned["value"]["data"]
    assert data["owner_id"] == citizen.sub and data["signed_by"] == officer.sub
    assert data["result"]["sha256"] == signed["result"]["signed_sha256"]
    assert data["receipt_code"] == receipt


async def test_withdraw_before_processing_only(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    officer = await idp.officer("STP-HNI")
    early, _ = await _submitted(api, citizen)
    response = await api.post(
        f"/v1/dossiers/{early}/withdraw", json={"note": "Nộp nhầm"}, headers=citizen.headers
    )
    assert response.status_code == 200
    assert response.json()["status"] == 7
    assert (await _act(api, officer, early, "accept")).status_code == 409

    late, _ = await _submitted(api, citizen)
    await _act(api, officer, late, "accept")
    await _act(api, officer, late, "start_processing")
    response = await api.post(f"/v1/dossiers/{late}/withdraw", headers=citizen.headers)
    assert response.status_code == 409


async def test_inbox_filters_by_status(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    officer = await idp.officer("STP-HNI")
    # The inbox puts the nearest due dates first; the citizen's own name keeps the page small.
    citizen = await idp.citizen(f"Lọc Trạng Thái {uuid.uuid4().hex[:8]}")
    waiting, _ = await _submitted(api, citizen)
    accepted, _ = await _submitted(api, citizen)
    await _act(api, officer, accepted, "accept")
    new = await api.get(
        "/v1/inbox", params={"status": 1, "q": citizen.name}, headers=officer.headers
    )
    new_ids = [d["id"] for d in new.json()["items"]]
    assert waiting in new_ids and accepted not in new_ids
    both = await api.get(
        "/v1/inbox",
        params=[("status", 1), ("status", 2), ("q", citizen.name)],
        headers=officer.headers,
    )
    both_ids = [d["id"] for d in both.json()["items"]]
    assert waiting in both_ids and accepted in both_ids
    assert (await api.get("/v1/inbox", headers=citizen.headers)).status_code == 403
