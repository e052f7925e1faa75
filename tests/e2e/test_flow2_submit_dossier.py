"""Flow 2 "Tạo và nộp hồ sơ kèm E-Form đã được ký số", its direct variant and failure paths."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hoso_testing.files import sample_pdf, sample_png
from hoso_testing.identity import TestUser
from hoso_testing.pdfa import pdfa_2b_report

from . import api_client as portal

pytestmark = pytest.mark.e2e

PROCEDURE = "2.000488"  # Cấp Phiếu lý lịch tư pháp, Sở Tư pháp Hà Nội
AGENCY = "STP-HNI"
RECEIPT = re.compile(rf"^{AGENCY}-\d{{6}}-\d{{6,}}$")
OfficerFactory = Callable[[str], Awaitable[TestUser]]


async def judicial_record_form(gateway: httpx.AsyncClient, citizen: TestUser) -> dict[str, Any]:
    """Every field of the "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", for this citizen."""
    address = await portal.first_commune(gateway, "01")
    return {
        "co_quan_tiep_nhan": "Sở Tư pháp Thành phố Hà Nội",
        "ho_ten": citizen.name,
        "gioi_tinh": "Nam",
        "ngay_sinh": "05/09/1990",
        "noi_sinh": "Thành phố Hà Nội",
        "quoc_tich": "Việt Nam",
        "dan_toc": "Kinh",
        "so_dinh_danh": citizen.citizen_id,
        "noi_thuong_tru": {**address, "dia_chi_chi_tiet": "Số 12, phố Hàng Bạc"},
        "so_dien_thoai": "0987654321",
        "loai_phieu": "Phiếu lý lịch tư pháp số 1",
        "muc_dich": "Bổ sung hồ sơ xin việc",
        "so_luong": 1,
    }


async def choose_procedure(gateway: httpx.AsyncClient) -> dict[str, Any]:
    """The citizen finds the procedure in the public catalogue."""
    found = await portal.search_procedures(gateway, q="lý lịch tư pháp")
    assert [p["code"] for p in found] == [PROCEDURE]
    procedure = found[0]
    assert procedure["agency"]["code"] == AGENCY
    return procedure


async def fill_and_sign_form(
    gateway: httpx.AsyncClient,
    ca: httpx.AsyncClient,
    citizen: TestUser,
    template_code: str,
    *,
    approve: bool = True,
) -> dict[str, Any]:
    """Steps 2–5: "Thêm", "Cập nhật", "In", pick VNPT-CA, answer on the phone."""
    data = await judicial_record_form(gateway, citizen)
    added = await portal.add_form(gateway, citizen, template_code, data)
    assert added["message"] == "Thực hiện thành công"
    updated = await portal.update_form(
        gateway,
        citizen,
        added["id"],
        {**data, "muc_dich": "Xin việc tại Công ty ABC", "so_luong": 2},
    )
    assert updated["message"] == "Thực hiện thành công"
    assert updated["data"]["so_luong"] == 2
    printed = await portal.print_form(gateway, citizen, added["id"])
    assert printed.headers["content-type"].startswith("application/pdf")
    assert printed.content.startswith(b"%PDF")

    signing = await portal.sign_form(gateway, citizen, added["id"], "vnpt-smartca")
    assert signing["status"] == "signing"
    notification = await portal.wait_for_phone_request(ca, citizen, signing["title"])
    if approve:
        await portal.approve_on_phone(ca, citizen, notification["transaction_id"])
    else:
        await portal.reject_on_phone(ca, citizen, notification["transaction_id"])
    return await portal.wait_for_form(gateway, citizen, added["id"], {"signed", "sign_failed"})


async def dossier_with_signed_form_and_scan(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A started dossier, its e-form filled and signed, and a scan saved in the vault."""
    procedure = await choose_procedure(gateway)
    template = next(c for c in procedure["components"] if c["code"] == "TK")["eform_template"]
    dossier = await portal.start_dossier(gateway, citizen, PROCEDURE)
    form = await fill_and_sign_form(gateway, ca, citizen, template)
    assert form["status"] == "signed", form.get("failure_reason")

    # A scan already kept in the vault ("Hồ sơ điện tử"), saved without signing.
    scan = await portal.upload_document(
        gateway,
        citizen,
        name="Căn cước công dân",
        filename="can-cuoc.pdf",
        content=sample_pdf("Can cuoc cong dan"),
        sign=False,
    )
    scan = await portal.save_document(gateway, citizen, scan["id"])
    return dossier, form, scan


async def officer_accepts_and_citizen_sees_it(
    gateway: httpx.AsyncClient, officer_of: OfficerFactory, citizen: TestUser, receipt: str
) -> None:
    dossier = await portal.lookup_dossier(gateway, citizen, receipt)
    officer = await officer_of(AGENCY)
    waiting = await portal.inbox(gateway, officer, status=1, q=receipt)
    assert dossier["id"] in [d["id"] for d in waiting]
    accepted = await portal.officer_action(
        gateway, officer, dossier["id"], "accept", "Hồ sơ đầy đủ, hợp lệ"
    )
    assert accepted["status"] == 2

    seen = await portal.lookup_dossier(gateway, citizen, receipt)
    assert seen["status"] == 2
    assert seen["status_name"] == "Được tiếp nhận"
    assert seen["history"][-1]["actor"] == officer.sub
    assert seen["history"][-1]["note"] == "Hồ sơ đầy đủ, hợp lệ"
    mine = await gateway.get(
        f"{portal.SUBMISSION}/dossiers", params={"status": 2}, headers=citizen.headers
    )
    assert [d["id"] for d in mine.json()["items"]] == [dossier["id"]]


async def test_flow2_eform_signed_downloaded_and_attached_from_computer(
    gateway: httpx.AsyncClient,
    ca: httpx.AsyncClient,
    citizen: TestUser,
    officer_of: OfficerFactory,
    verapdf: Path,
    tmp_path: Path,
) -> None:
    # 1. The procedure, then "Nộp hồ sơ".
    procedure = await choose_procedure(gateway)
    form_component = next(c for c in procedure["components"] if c["code"] == "TK")
    assert "eform" in form_component["sources"] and form_component["signature_required"]
    templates = await portal.templates_for(gateway, PROCEDURE)
    assert form_component["eform_template"] in [t["code"] for t in templates]
    dossier = await portal.start_dossier(gateway, citizen, PROCEDURE)
    assert dossier["status"] == 0

    # 2–5. "Nhập thông tin trực tuyến (E-Form)", sign with VNPT-CA, approve, "OK".
    form = await fill_and_sign_form(gateway, ca, citizen, form_component["eform_template"])
    assert form["status"] == "signed", form.get("failure_reason")
    assert form["signed_pdf"] is not None

    # 6. The provider icon again: check the result and download the signed file.
    signed_pdf = await portal.download_signed_form(gateway, citizen, form["id"])
    assert hashlib.sha256(signed_pdf).hexdigest() == form["signed_pdf"]["sha256"]
    report = await portal.validate_file(gateway, citizen, signed_pdf, "to-khai.pdf")
    assert report["valid"] is True, report
    assert report["signatures"][0]["signer_name"] == citizen.name
    # The printed form is PDF/A-2b, and its signature with the visible stamp keeps it so.
    (tmp_path / "signed-form.pdf").write_bytes(signed_pdf)
    verdict = pdfa_2b_report(verapdf, tmp_path / "signed-form.pdf").stdout
    assert verdict.startswith("PASS"), "signed form is not PDF/A-2b"

    # 7. "Từ máy tính": attach the downloaded file, and the other required paper; submit.
    await portal.attach_from_computer(
        gateway, citizen, dossier["id"], "TK", "to-khai-ly-lich-tu-phap-da-ky.pdf", signed_pdf
    )
    filled = await portal.attach_from_computer(
        gateway, citizen, dossier["id"], "CCCD", "can-cuoc.png", sample_png(), "image/png"
    )
    assert {c["component"] for c in filled["components"]} == {"TK", "CCCD"}
    submitted = await portal.submit_dossier(gateway, citizen, dossier["id"])
    assert submitted.status_code == 200, submitted.text
    receipt = submitted.json()
    assert RECEIPT.match(receipt["receipt_code"]), receipt
    assert receipt["status"] == 1 and receipt["status_name"] == "Mới đăng ký"

    await officer_accepts_and_citizen_sees_it(gateway, officer_of, citizen, receipt["receipt_code"])


async def test_flow2_direct_attach_of_signed_eform_and_vault_document(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser, officer_of: OfficerFactory
) -> None:
    dossier, form, scan = await dossier_with_signed_form_and_scan(gateway, ca, citizen)

    # No download, no upload: both are copied server-side, pinned by version and hash.
    with_form = await portal.attach_eform(gateway, citizen, dossier["id"], "TK", form["id"])
    tk = next(c for c in with_form["components"] if c["component"] == "TK")
    assert tk["source"] == "eform" and tk["sha256"] == form["signed_pdf"]["sha256"]
    with_scan = await portal.attach_from_vault(gateway, citizen, dossier["id"], "CCCD", scan)
    cccd = next(c for c in with_scan["components"] if c["component"] == "CCCD")
    assert cccd["source"] == "vault"
    assert cccd["document_id"] == scan["id"]
    assert cccd["sha256"] == scan["versions"][-1]["sha256"]

    key = f"e2e-{dossier['id']}"
    submitted = await portal.submit_dossier(gateway, citizen, dossier["id"], key)
    assert submitted.status_code == 200, submitted.text
    receipt = submitted.json()
    assert RECEIPT.match(receipt["receipt_code"])
    repeated = await portal.submit_dossier(gateway, citizen, dossier["id"], key)
    assert repeated.json() == receipt

    stored = await portal.get_dossier(gateway, citizen, dossier["id"])
    tk = next(c for c in stored["components"] if c["component"] == "TK")
    assert tk["signature"]["intact"] and tk["signature"]["trusted"]
    await officer_accepts_and_citizen_sees_it(gateway, officer_of, citizen, receipt["receipt_code"])


async def test_flow2_rejected_signature_blocks_the_dossier_cleanly(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> None:
    procedure = await choose_procedure(gateway)
    template = next(c for c in procedure["components"] if c["code"] == "TK")["eform_template"]
    dossier = await portal.start_dossier(gateway, citizen, PROCEDURE)
    form = await fill_and_sign_form(gateway, ca, citizen, template, approve=False)

    assert form["status"] == "sign_failed"
    assert form["signed_pdf"] is None
    assert form["failure_reason"]
    assert await portal.phone_requests(ca, citizen) == []
    # The form is editable again ("Cập nhật") and may be signed anew later.
    again = await portal.update_form(gateway, citizen, form["id"], form["data"])
    assert again["status"] in {"saved", "sign_failed"}

    refused = await gateway.post(
        f"{portal.SUBMISSION}/dossiers/{dossier['id']}/components/TK/eform",
        json={"form_id": form["id"]},
        headers=citizen.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "eform_not_signed"
    submitted = await portal.submit_dossier(gateway, citizen, dossier["id"])
    assert submitted.status_code == 422
    assert {e["component"] for e in submitted.json()["errors"]} == {"TK", "CCCD"}
    still = await portal.get_dossier(gateway, citizen, dossier["id"])
    assert still["status"] == 0 and still["components"] == [] and still["receipt_code"] is None


async def test_flow2_expired_signature_blocks_the_dossier_cleanly(
    gateway: httpx.AsyncClient,
    ca: httpx.AsyncClient,
    citizen: TestUser,
    short_approval_window: float,
) -> None:
    procedure = await choose_procedure(gateway)
    template = next(c for c in procedure["components"] if c["code"] == "TK")["eform_template"]
    dossier = await portal.start_dossier(gateway, citizen, PROCEDURE)
    data = await judicial_record_form(gateway, citizen)
    form = await portal.add_form(gateway, citizen, template, data)
    signing = await portal.sign_form(gateway, citizen, form["id"], "vnpt-smartca")
    notification = await portal.wait_for_phone_request(ca, citizen, signing["title"])
    ttl = (
        datetime.fromisoformat(notification["expires_at"])
        - datetime.fromisoformat(notification["created_at"])
    ).total_seconds()
    assert ttl == short_approval_window

    failed = await portal.wait_for_form(
        gateway, citizen, form["id"], {"signed", "sign_failed"}, timeout_s=ttl + 30
    )
    assert failed["status"] == "sign_failed"
    assert failed["signed_pdf"] is None
    late = await ca.post(
        f"/phone/requests/{notification['transaction_id']}/approve", headers=citizen.headers
    )
    assert late.status_code == 409
    refused = await gateway.post(
        f"{portal.SUBMISSION}/dossiers/{dossier['id']}/components/TK/eform",
        json={"form_id": form["id"]},
        headers=citizen.headers,
    )
    assert refused.status_code == 422
    still = await portal.get_dossier(gateway, citizen, dossier["id"])
    assert still["status"] == 0 and still["components"] == []
