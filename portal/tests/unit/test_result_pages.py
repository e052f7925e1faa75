"""The result (kết quả giải quyết) pages against fake services: the officer's partial and its
routes, and the citizen's returned result."""

from __future__ import annotations

from typing import Any

import pytest

from hoso_portal.errors import ApiProblem

from .conftest import PortalHarness
from .fakes import dossier

DID = "d" * 32
BOUNDARY = "----hosoBoundaryResult"
RESULT_PAGE = f"/can-bo/ho-so/{DID}/ket-qua"


def signed_result(**extra: Any) -> dict[str, Any]:
    return {
        "status": "signed",
        "filename": "ket-qua.pdf",
        "size": 1200,
        "sha256": "a" * 64,
        "uploaded_by_name": "Lê Minh Cường",
        "uploaded_at": "2026-11-30T03:00:00Z",
        "sign_request_id": "r" * 32,
        "provider": "vnpt-smartca",
        "signed": True,
        "signed_filename": "ket-qua-giai-quyet-UBND-HNI-261130-0001.pdf",
        "signed_size": 48000,
        "signed_sha256": "b" * 64,
        "signer_name": "LÊ MINH CƯỜNG",
        "signer_subject": "CN=LÊ MINH CƯỜNG",
        "signer_serial": "6cca",
        "signed_at": "2026-11-30T03:05:00Z",
        "pades_level": "B-LT",
        "failure_reason": None,
        "failure_message": None,
        "check": None,
        "returned_at": None,
        **extra,
    }


def upload_body(csrf: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="kq.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.7 ket qua\r\n--{BOUNDARY}--\r\n"
    ).encode()


def test_the_result_page_offers_the_upload_while_processing(harness: PortalHarness) -> None:
    harness.submission.items[DID] = dossier(DID, 4)
    harness.login()
    page = harness.client.get(RESULT_PAGE)
    assert page.status_code == 200
    assert "Hồ sơ chưa có kết quả giải quyết." in page.text
    assert 'enctype="multipart/form-data"' in page.text and "Tệp kết quả giải quyết" in page.text
    assert ">Hoàn thành</button>" in page.text
    # the result page's own forms come back to it, not to the console's page
    assert f'action="{RESULT_PAGE}/tai-len"' in page.text


def test_upload_streams_the_file_on_and_comes_back(harness: PortalHarness) -> None:
    harness.submission.items[DID] = dossier(DID, 4)
    harness.login()
    answer = harness.client.post(
        f"{RESULT_PAGE}/tai-len?ve=ho-so",
        content=upload_body(harness.csrf()),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/can-bo/ho-so/{DID}?xong=tai-len#ket-qua"
    assert b"%PDF-1.7 ket qua" in harness.submission.uploads[0]
    assert b"csrf_token" not in harness.submission.uploads[0]


@pytest.mark.parametrize("back", ["//evil.vn", "http:", "ho-so/../", "x"])
def test_only_known_pages_are_gone_back_to(harness: PortalHarness, back: str) -> None:
    harness.submission.items[DID] = dossier(DID, 4)
    harness.login()
    answer = harness.client.post(
        f"{RESULT_PAGE}/tai-len",
        params={"ve": back},
        content=upload_body(harness.csrf()),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert answer.headers["location"].startswith(f"{RESULT_PAGE}?")


def test_a_refused_upload_shows_the_services_reason(harness: PortalHarness) -> None:
    harness.submission.items[DID] = dossier(DID, 4)
    harness.submission.refusals["upload"] = ApiProblem(
        422, "result_unsignable", "Tệp PDF được đặt mật khẩu (mã hóa) nên không ký số được."
    )
    harness.login()
    answer = harness.client.post(
        f"{RESULT_PAGE}/tai-len",
        content=upload_body(harness.csrf()),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert answer.status_code == 422
    assert "được đặt mật khẩu" in answer.text and 'href="#ket-qua-tep"' in answer.text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (f"{RESULT_PAGE}/ky-so", {"provider": "vnpt-smartca"}),
        (f"{RESULT_PAGE}/thao-tac", {"action": "complete"}),
    ],
)
def test_forged_posts_change_nothing(
    harness: PortalHarness, path: str, data: dict[str, str]
) -> None:
    harness.submission.items[DID] = dossier(DID, 4)
    harness.login()
    assert harness.client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    forged_upload = harness.client.post(
        f"{RESULT_PAGE}/tai-len",
        content=upload_body("forged"),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert forged_upload.status_code == 403
    assert harness.submission.result_calls == [] and harness.submission.uploads == []


def test_sign_goes_to_the_shared_signing_notice(harness: PortalHarness) -> None:
    harness.submission.items[DID] = dossier(
        DID, 4, result=signed_result(status="uploaded", signed=False, signer_name=None)
    )
    harness.login()
    page = harness.client.get(RESULT_PAGE).text
    assert ">Ký số kết quả</button>" in page and 'value="fpt-esign"' in page
    answer = harness.client.post(
        f"{RESULT_PAGE}/ky-so?ve=ho-so",
        data={"csrf_token": harness.csrf(), "provider": "fpt-esign"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{RESULT_PAGE}/ky-so?ve=ho-so"
    assert harness.submission.result_calls[-1][:2] == (DID, "sign:fpt-esign")
    harness.submission.items[DID]["result"]["status"] = "signing"
    notice = harness.client.get(f"{RESULT_PAGE}/ky-so?ve=ho-so")
    assert notice.status_code == 200 and "Thông báo chờ xử lý" in notice.text
    assert f'href="/can-bo/ho-so/{DID}#ket-qua"' in notice.text


def test_complete_refused_shows_why_and_the_signed_result_is_shown(
    harness: PortalHarness,
) -> None:
    harness.submission.items[DID] = dossier(DID, 4, result=signed_result())
    harness.submission.refusals["complete"] = ApiProblem(
        422, "result_signature_invalid", "Chữ ký số trên kết quả giải quyết không hợp lệ."
    )
    harness.login()
    page = harness.client.get(RESULT_PAGE).text
    for shown in ["Đã ký số", "LÊ MINH CƯỜNG", "PAdES B-LT", "6cca"]:
        assert shown in page
    answer = harness.client.post(
        f"{RESULT_PAGE}/thao-tac", data={"csrf_token": harness.csrf(), "action": "complete"}
    )
    assert answer.status_code == 422
    assert "không hợp lệ" in answer.text and 'href="#ket-qua-action"' in answer.text
    del harness.submission.refusals["complete"]
    done = harness.client.post(
        f"{RESULT_PAGE}/thao-tac", data={"csrf_token": harness.csrf(), "action": "complete"}
    )
    assert done.status_code == 303 and "xong=complete" in done.headers["location"]


def test_the_citizen_sees_the_returned_result_and_its_copy_in_the_vault(
    harness: PortalHarness,
) -> None:
    harness.submission.items[DID] = dossier(
        DID, 10, result=signed_result(returned_at="2026-11-30T04:00:00Z")
    )
    harness.login()
    page = harness.client.get(f"/ho-so-da-nop/{DID}").text
    assert "Kết quả giải quyết" in page and f'href="/ho-so-da-nop/{DID}/ket-qua"' in page
    assert "Một bản sao đã được lưu trong Hồ sơ điện tử" in page
    harness.submission.items[DID] = dossier(DID, 1)
    assert "Tải kết quả đã ký số" not in harness.client.get(f"/ho-so-da-nop/{DID}").text
