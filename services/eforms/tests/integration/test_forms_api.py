"""Filling, updating, listing and printing forms through the running app."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from hoso_testing.identity import IdpClient
from hoso_testing.pdfa import pdfa_2b_report

pytestmark = pytest.mark.integration

SUCCESS = "Thực hiện thành công"


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


async def create(
    eforms: Any, headers: dict[str, str], code: str, data: dict[str, Any]
) -> dict[str, Any]:
    response = await eforms.client.post(
        "/v1/forms", json={"template_code": code, "data": data}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_add_update_get_and_list(eforms: Any, idp: IdpClient, sample_form: Any) -> None:
    citizen = await idp.citizen()
    data = sample_form("to-khai-ly-lich-tu-phap")
    created = await create(eforms, citizen.headers, "to-khai-ly-lich-tu-phap", data)
    assert created["message"] == SUCCESS
    assert created["status"] == "saved" and created["revision"] == 1
    assert created["template_version"] >= 1 and created["procedure_code"] == "2.000488"
    assert created["data"] == data and created["signed_pdf"] is None
    form_id = created["id"]

    data["muc_dich"] = "Xin cấp visa du học"
    updated = await eforms.client.put(
        f"/v1/forms/{form_id}", json={"data": data}, headers=citizen.headers
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["message"] == SUCCESS
    assert (
        updated.json()["revision"] == 2
        and updated.json()["data"]["muc_dich"] == "Xin cấp visa du học"
    )

    fetched = (await eforms.client.get(f"/v1/forms/{form_id}", headers=citizen.headers)).json()
    assert fetched["data"] == data and fetched["status"] == "saved"

    second = await create(
        eforms, citizen.headers, "ct01-thay-doi-cu-tru", sample_form("ct01-thay-doi-cu-tru")
    )
    listed = (await eforms.client.get("/v1/forms", headers=citizen.headers)).json()
    assert [f["id"] for f in listed] == [second["id"], form_id]
    only_ct01 = await eforms.client.get(
        "/v1/forms", params={"template_code": "ct01-thay-doi-cu-tru"}, headers=citizen.headers
    )
    assert [f["id"] for f in only_ct01.json()] == [second["id"]]


async def test_text_is_stored_in_nfc(eforms: Any, idp: IdpClient, sample_form: Any) -> None:
    citizen = await idp.citizen()
    data = sample_form("ct01-thay-doi-cu-tru")
    data["ho_ten"] = unicodedata.normalize("NFD", "  Phạm Thị Ánh Tuyết ")
    created = await create(eforms, citizen.headers, "ct01-thay-doi-cu-tru", data)
    assert created["data"]["ho_ten"] == unicodedata.normalize("NFC", "Phạm Thị Ánh Tuyết")


async def test_citizens_only_see_their_own_forms(
    eforms: Any, idp: IdpClient, sample_form: Any
) -> None:
    owner = await idp.citizen()
    other = await idp.citizen()
    data = sample_form("to-khai-khai-sinh")
    form_id = (await create(eforms, owner.headers, "to-khai-khai-sinh", data))["id"]
    for method, path, body in [
        ("GET", f"/v1/forms/{form_id}", None),
        ("PUT", f"/v1/forms/{form_id}", {"data": data}),
        ("GET", f"/v1/forms/{form_id}/pdf", None),
        ("POST", f"/v1/forms/{form_id}/sign", {"provider": "vnpt-smartca"}),
        ("GET", f"/v1/forms/{form_id}/signed-pdf", None),
    ]:
        response = await eforms.client.request(method, path, json=body, headers=other.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "form_not_found"
    assert form_id not in [
        f["id"] for f in (await eforms.client.get("/v1/forms", headers=other.headers)).json()
    ]
    assert (await eforms.client.get(f"/v1/forms/{form_id}")).status_code == 401
    officer = await idp.officer("STP-HNI")
    assert (
        await eforms.client.get(f"/v1/forms/{form_id}", headers=officer.headers)
    ).status_code == 403


async def test_validation_errors_are_problem_json_with_pointers(
    eforms: Any, idp: IdpClient, sample_form: Any
) -> None:
    citizen = await idp.citizen()
    data = sample_form("to-khai-khai-sinh")
    data["nguoi_duoc_khai_sinh"]["ngay_sinh"] = "31/02/2025"
    data["nguoi_yeu_cau"]["so_dinh_danh"] = "0011900123"
    data["nguoi_yeu_cau"]["ho_ten"] = "Nguyễn " * 30
    data["me"]["noi_cu_tru"]["xa_phuong"] = "26740"
    data["ghi_chu"] = "không có trong mẫu"
    del data["co_quan_tiep_nhan"]
    response = await eforms.client.post(
        "/v1/forms",
        json={"template_code": "to-khai-khai-sinh", "data": data},
        headers=citizen.headers,
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "validation_failed"
    errors = {e["pointer"]: e["message"] for e in body["errors"]}
    assert errors == {
        "/data/co_quan_tiep_nhan": "Vui lòng nhập Kính gửi.",
        "/data/ghi_chu": 'Trường "ghi_chu" không có trong biểu mẫu.',
        "/data/nguoi_yeu_cau/ho_ten": "Họ, chữ đệm và tên không được dài quá 100 ký tự.",
        "/data/nguoi_yeu_cau/so_dinh_danh": (
            "Số định danh cá nhân không hợp lệ: phải gồm đúng 12 chữ số."
        ),
        "/data/nguoi_duoc_khai_sinh/ngay_sinh": (
            "Ngày, tháng, năm sinh không hợp lệ: ngày 31/02/2025 không có trên lịch."
        ),
        "/data/me/noi_cu_tru/xa_phuong": "Xã/phường/đặc khu không thuộc tỉnh, thành phố đã chọn.",
    }


@pytest.mark.parametrize("data", ["văn bản", 42, None, [1, 2], {"nguoi_yeu_cau": "x"}])
async def test_malformed_data_never_fails_the_server(
    eforms: Any, idp: IdpClient, data: Any
) -> None:
    citizen = await idp.citizen()
    response = await eforms.client.post(
        "/v1/forms",
        json={"template_code": "to-khai-khai-sinh", "data": data},
        headers=citizen.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"], response.text
    assert all(e["pointer"].startswith("/data") for e in response.json()["errors"])


async def test_unknown_template_and_body_errors(eforms: Any, idp: IdpClient) -> None:
    citizen = await idp.citizen()
    missing = await eforms.client.post(
        "/v1/forms", json={"template_code": "khong-co", "data": {}}, headers=citizen.headers
    )
    assert missing.status_code == 404 and missing.json()["code"] == "template_not_found"
    no_data = await eforms.client.post(
        "/v1/forms", json={"template_code": "to-khai-khai-sinh"}, headers=citizen.headers
    )
    assert no_data.status_code == 422
    assert no_data.json()["errors"][0]["pointer"] == "/data"


async def test_print_renders_pdfa_with_vietnamese_text(
    eforms: Any, idp: IdpClient, sample_form: Any, tmp_path: Path, verapdf: Path
) -> None:
    citizen = await idp.citizen()
    data = sample_form("to-khai-khai-sinh")
    data["nguoi_duoc_khai_sinh"]["noi_sinh"] = "<script>alert(1)</script> Bệnh viện Phụ sản"
    form_id = (await create(eforms, citizen.headers, "to-khai-khai-sinh", data))["id"]

    first = await eforms.client.get(f"/v1/forms/{form_id}/pdf", headers=citizen.headers)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''T%E1%BB%9D%20khai" in first.headers["content-disposition"]
    second = await eforms.client.get(f"/v1/forms/{form_id}/pdf", headers=citizen.headers)
    assert first.content == second.content, "the same data must render byte for byte the same"

    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(first.content)
    text = flat(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    for value in (
        "TỜ KHAI ĐĂNG KÝ KHAI SINH",
        "Họ, chữ đệm và tên: Nguyễn Thị Hồng Nhung",
        "Họ, chữ đệm và tên: Trần Minh Khôi",
        "Họ, chữ đệm và tên: Trần Đức Thắng",
        "Dân tộc: Tày",
        "Nơi sinh: <script>alert(1)</script> Bệnh viện Phụ sản",
        "Số 12, phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
        "Số 5, đường Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh",
        "Quê quán: Xã Ba Vì, Thành phố Hà Nội",
        f"Mã tờ khai {form_id}",
    ):
        assert flat(value) in text, value

    report = pdfa_2b_report(verapdf, pdf)
    assert report.stdout.startswith(f"PASS {pdf}"), report.stdout + report.stderr
    assert report.returncode == 0


async def test_verapdf_can_fail(tmp_path: Path, verapdf: Path) -> None:
    """The validator is not a rubber stamp: a PDF without PDF/A markers or embedded fonts fails."""
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=12)
    document.cell(text="Not PDF/A")
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(bytes(document.output()))
    report = pdfa_2b_report(verapdf, plain)
    assert report.stdout.startswith(f"FAIL {plain}"), report.stdout + report.stderr
    assert report.returncode != 0
