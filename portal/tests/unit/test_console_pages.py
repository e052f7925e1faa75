""" "Hồ sơ cần xử lý" with fakes: officers only, filters passed on, actions, 409, inline PDF."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from hoso_portal.clients.base import Download
from hoso_portal.errors import ApiProblem, PageNotFound

from .conftest import PortalHarness
from .fakes import FakeSubmission

DOSSIER_ID = "ab" * 16
OTHER_AGENCY_ID = "cd" * 16


def _dossier(status: int = 1, revision: int = 3, **extra: Any) -> dict[str, Any]:
    actions = {
        1: [
            {"action": "accept", "label": "Tiếp nhận", "note_required": False},
            {"action": "refuse", "label": "Không tiếp nhận", "note_required": True},
            {"action": "request_supplement", "label": "Yêu cầu bổ sung", "note_required": True},
        ],
        2: [
            {"action": "start_processing", "label": "Bắt đầu xử lý", "note_required": False},
            {"action": "stop", "label": "Dừng xử lý", "note_required": True},
        ],
    }
    names = {1: "Mới đăng ký", 2: "Được tiếp nhận", 4: "Đang xử lý"}
    return {
        "id": DOSSIER_ID,
        "receipt_code": "UBND-HNI-261130-000007",
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "agency_code": "UBND-HNI",
        "owner_id": "citizen-9",
        "owner_name": "Trần Thị Bình",
        "owner_citizen_id": "001090123456",
        "status": status,
        "status_name": names.get(status, str(status)),
        "components": [
            {
                "component": "TK",
                "source": "eform",
                "filename": "to-khai.pdf",
                "content_type": "application/pdf",
                "size": 2048,
                "sha256": "a" * 64,
                "attached_at": "2026-11-30T03:00:00Z",
            },
            {
                "component": "GCS",
                "source": "upload",
                "filename": "gcs.png",
                "content_type": "image/png",
                "size": 100,
                "sha256": "b" * 64,
                "attached_at": "2026-11-30T03:00:00Z",
            },
        ],
        "history": [
            {
                "action": "submit",
                "from_status": None,
                "to_status": 1,
                "to_status_name": "Mới đăng ký",
                "actor": "citizen-9",
                "actor_name": "Trần Thị Bình",
                "actor_role": "citizen",
                "at": "2026-11-30T03:00:00Z",
                "note": None,
            }
        ],
        "submitted_at": "2026-11-30T03:00:00Z",
        "due_at": "2026-12-01T16:59:59.999Z",
        "completed_at": None,
        "deadline": "overdue",
        "revision": revision,
        "officer_actions": actions.get(status, []),
        "created_at": "2026-11-30T02:00:00Z",
        "updated_at": "2026-11-30T03:00:00Z",
        **extra,
    }


REPORT = {
    "valid": True,
    "verdict": "Chữ ký hợp lệ.",
    "signatures": [
        {
            "signer_name": "TRẦN THỊ BÌNH",
            "signer": {"issuer": "HOSO Sandbox Issuing CA", "serial_number": "4c27"},
            "signing_time": "2026-11-30T02:59:00Z",
            "timestamp": None,
            "intact": True,
            "changed_after_signing": False,
            "trusted": True,
            "verdict": "Chữ ký hợp lệ.",
        }
    ],
}


class ConsoleSubmission(FakeSubmission):
    """The fake submission service with the officer's inbox, actions and reports."""

    def __init__(self) -> None:
        super().__init__()
        self.items[DOSSIER_ID] = _dossier()
        self.inbox_calls: list[dict[str, Any]] = []
        self.acts: list[tuple[str, str, str | None, int]] = []
        self.act_problem: ApiProblem | None = None

    async def inbox(self, token: str, **params: Any) -> dict[str, Any]:
        self.inbox_calls.append(params)
        items = [copy.deepcopy(self.items[DOSSIER_ID])]
        counts = [
            {"status": 1, "status_name": "Mới đăng ký", "count": 1},
            {"status": 2, "status_name": "Được tiếp nhận", "count": 0},
        ]
        return {"items": items, "total": 41, "counts": counts, "overdue": 1, "due_today": 0}

    async def agency_procedures(self, token: str, agency: str | None) -> list[dict[str, Any]]:
        return [{"code": "1.001193", "name": "Đăng ký khai sinh"}]

    async def procedure(self, token: str, code: str) -> dict[str, Any]:
        procedure = copy.deepcopy(await super().procedure(token, code))
        procedure.setdefault("processing_time", {"working_days": 1})
        return procedure

    async def dossier(self, token: str, dossier_id: str) -> dict[str, Any]:
        if dossier_id == OTHER_AGENCY_ID:
            raise PageNotFound("Không tìm thấy hồ sơ.")
        return await super().dossier(token, dossier_id)

    async def act(
        self, token: str, dossier_id: str, action: str, *, note: str | None, revision: int
    ) -> dict[str, Any]:
        self.acts.append((dossier_id, action, note, revision))
        if self.act_problem is not None:
            raise self.act_problem
        self.items[dossier_id] = _dossier(status=2, revision=revision + 1)
        return self.items[dossier_id]

    async def signature_report(self, token: str, dossier_id: str, code: str) -> dict[str, Any]:
        if code == "TK":
            return REPORT
        return {"signatures": [], "valid": False, "verdict": "Tệp không có chữ ký số."}

    async def component_file(self, token: str, dossier_id: str, code: str) -> Download:
        pdf = code == "TK"
        name = "to-khai.pdf" if pdf else "g.png"
        response = httpx.Response(
            200,
            stream=httpx.ByteStream(b"%PDF-1.7 test" if pdf else b"\x89PNG"),
            headers={
                "content-type": "application/pdf" if pdf else "image/png",
                "content-disposition": f'attachment; filename="{name}"',
            },
        )
        return Download(response)


@pytest.fixture
def console(harness: PortalHarness) -> ConsoleSubmission:
    fake = ConsoleSubmission()
    harness.app.state.portal.submission = fake
    return fake


def _officer(harness: PortalHarness, role: str = "officer") -> None:
    harness.idp.claims = {"roles": [role], "agency": "UBND-HNI" if role == "officer" else None}
    assert harness.login("/") == "/"


def test_citizens_get_403_on_every_console_page(
    harness: PortalHarness, console: ConsoleSubmission
) -> None:
    harness.idp.claims = {"roles": ["citizen"]}
    harness.login()
    assert harness.client.get("/can-bo/ho-so").status_code == 403
    assert harness.client.get(f"/can-bo/ho-so/{DOSSIER_ID}").status_code == 403
    assert harness.client.get(f"/can-bo/ho-so/{DOSSIER_ID}/thanh-phan/TK/xem").status_code == 403
    posted = harness.client.post(
        f"/can-bo/ho-so/{DOSSIER_ID}/xu-ly",
        data={"csrf_token": harness.csrf(), "action": "accept", "revision": "3"},
    )
    assert posted.status_code == 403
    assert console.acts == []
    page = harness.client.get("/ho-so-dien-tu")
    assert "Hồ sơ cần xử lý" not in page.text


def test_officers_land_on_the_inbox_with_counts_marks_and_filters(
    harness: PortalHarness, console: ConsoleSubmission
) -> None:
    _officer(harness)
    assert harness.client.get("/").headers["location"] == "/can-bo/ho-so"
    page = harness.client.get(
        "/can-bo/ho-so", params={"trang-thai": 1, "thu-tuc": "1.001193", "q": " Bình ", "trang": 2}
    )
    assert page.status_code == 200
    assert console.inbox_calls[-1] == {
        "statuses": [1],
        "procedure": "1.001193",
        "q": "Bình",
        "limit": 20,
        "offset": 20,
    }
    text = page.text
    assert '<a href="/can-bo/ho-so" aria-current="page">Hồ sơ cần xử lý</a>' in text
    # An officer's account is not a citizen's: no vault nor "Hồ sơ đã nộp" in the header.
    assert 'href="/ho-so-dien-tu"' not in text and 'href="/ho-so-da-nop"' not in text
    assert 'Mới đăng ký <span class="count">1</span>' in text
    # The deadline mark is words, not only a colour.
    assert '<span class="deadline deadline-overdue">Quá hạn</span>' in text
    assert "01/12/2026" in text
    assert "Trang 2 / 3" in text
    assert "trang=3" in text and "thu-tuc=1.001193" in text


def test_the_dossier_offers_exactly_the_allowed_actions(
    harness: PortalHarness, console: ConsoleSubmission
) -> None:
    _officer(harness)
    page = harness.client.get(f"/can-bo/ho-so/{DOSSIER_ID}")
    assert page.status_code == 200
    text = page.text
    for label in ("Tiếp nhận", "Từ chối", "Yêu cầu bổ sung"):
        assert f">{label}</button>" in text
    for label in ("Chuyển xử lý", "Hoàn thành", "Trả kết quả", "Dừng xử lý"):
        assert f">{label}</button>" not in text
    assert text.count("required>") == 2  # a note for "Từ chối" and "Yêu cầu bổ sung"
    assert 'name="revision" value="3"' in text
    assert "Số định danh" in text and "001090123456" in text
    # The PDF is shown inside the page; the picture only downloaded.
    assert f'src="/can-bo/ho-so/{DOSSIER_ID}/thanh-phan/TK/xem"' in text
    assert "thanh-phan/GCS/xem" not in text
    for shown in ("TRẦN THỊ BÌNH", "HOSO Sandbox Issuing CA", "4c27", "Tệp không có chữ ký số."):
        assert shown in text


def test_an_action_posts_the_revision_then_redirects(
    harness: PortalHarness, console: ConsoleSubmission
) -> None:
    _officer(harness)
    url = f"/can-bo/ho-so/{DOSSIER_ID}/xu-ly"
    forged = harness.client.post(url, data={"csrf_token": "x", "action": "accept", "revision": "3"})
    assert forged.status_code == 403
    done = harness.client.post(
        url, data={"csrf_token": harness.csrf(), "action": "accept", "revision": "3"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/can-bo/ho-so/{DOSSIER_ID}?xong=accept"
    assert console.acts == [(DOSSIER_ID, "accept", None, 3)]
    shown = harness.client.get(done.headers["location"])
    assert "Đã thực hiện: Tiếp nhận. Trạng thái hiện tại: Được tiếp nhận." in shown.text
    unknown = harness.client.post(
        url, data={"csrf_token": harness.csrf(), "action": "submit", "revision": "3"}
    )
    assert unknown.status_code == 404


def test_a_missing_note_is_asked_for(harness: PortalHarness, console: ConsoleSubmission) -> None:
    _officer(harness)
    console.act_problem = ApiProblem(422, "note_required", "Vui lòng nhập lý do.")
    page = harness.client.post(
        f"/can-bo/ho-so/{DOSSIER_ID}/xu-ly",
        data={"csrf_token": harness.csrf(), "action": "refuse", "revision": "3", "note": " "},
    )
    assert page.status_code == 422
    assert "Nhập lý do để «Từ chối»" in page.text
    assert 'href="#note-refuse"' in page.text
    assert 'aria-invalid="true" aria-describedby="note-refuse-error"' in page.text


def test_a_stale_action_shows_the_409_and_the_fresh_status(
    harness: PortalHarness, console: ConsoleSubmission
) -> None:
    _officer(harness)
    console.items[DOSSIER_ID] = _dossier(status=2, revision=4)
    console.act_problem = ApiProblem(409, "dossier_changed", "Hồ sơ vừa được thay đổi.")
    page = harness.client.post(
        f"/can-bo/ho-so/{DOSSIER_ID}/xu-ly",
        data={"csrf_token": harness.csrf(), "action": "accept", "revision": "3"},
    )
    assert page.status_code == 409
    assert "Trạng thái hiện tại: Được tiếp nhận" in page.text
    assert ">Chuyển xử lý</button>" in page.text
    assert 'name="revision" value="4"' in page.text


def test_another_agency_s_dossier_is_not_found(
    harness: PortalHarness, console: ConsoleSubmission
) -> None:
    _officer(harness)
    assert harness.client.get(f"/can-bo/ho-so/{OTHER_AGENCY_ID}").status_code == 404


def test_the_pdf_is_inline_under_a_strict_policy_other_files_download(
    harness: PortalHarness, console: ConsoleSubmission
) -> None:
    _officer(harness)
    pdf = harness.client.get(f"/can-bo/ho-so/{DOSSIER_ID}/thanh-phan/TK/xem")
    assert pdf.status_code == 200
    assert pdf.headers["content-disposition"] == 'inline; filename="to-khai.pdf"'
    assert pdf.headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'self'" in pdf.headers["content-security-policy"]
    assert pdf.headers["x-frame-options"] == "SAMEORIGIN"
    png = harness.client.get(f"/can-bo/ho-so/{DOSSIER_ID}/thanh-phan/GCS/xem")
    assert png.headers["content-disposition"].startswith("attachment")
    # Every other page keeps the portal's own policy.
    page = harness.client.get(f"/can-bo/ho-so/{DOSSIER_ID}")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_admins_see_the_console(harness: PortalHarness, console: ConsoleSubmission) -> None:
    _officer(harness, role="admin")
    assert harness.client.get("/can-bo/ho-so").status_code == 200
