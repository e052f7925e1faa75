"""The result of a dossier (kết quả giải quyết): the officer attaches and signs it with their
own certificate, completes and returns the dossier, and the citizen finds it in the vault."""

from __future__ import annotations

import hashlib
import random

import httpx
import pytest

from hoso_testing.files import sample_pdf, sample_png
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.signing.pdfs import encrypt_pdf

from . import api_client as portal
from .conftest import GIVEN_NAMES

pytestmark = pytest.mark.e2e

PROCEDURE = "2.000488"  # Cấp Phiếu lý lịch tư pháp, Sở Tư pháp Hà Nội
AGENCY = "STP-HNI"


async def signing_officer(idp: IdpClient, ca: httpx.AsyncClient, agency: str) -> TestUser:
    """An officer with a personal id, enrolled at the CA like a citizen."""
    officer = await idp.officer(
        agency,
        name=f"Lê Minh {random.choice(GIVEN_NAMES)}",
        citizen_id=f"001085{random.randint(0, 999_999):06d}",
    )
    await portal.enroll(ca, officer)
    return officer


async def dossier_in_processing(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser, officer: TestUser
) -> dict[str, object]:
    """A submitted Lý lịch tư pháp dossier, accepted and being processed by `officer`."""
    name = f"Tờ khai {random.randint(0, 999_999)}"
    document = await portal.upload_document(
        gateway, citizen, name=name, filename="to-khai.pdf", content=sample_pdf("To khai")
    )
    request = await portal.wait_for_phone_request(ca, citizen, name)
    await portal.approve_on_phone(ca, citizen, request["transaction_id"])
    signed = await portal.wait_for_document(gateway, citizen, document["id"], {"signed"})
    dossier = await portal.start_dossier(gateway, citizen, PROCEDURE)
    await portal.attach_from_vault(gateway, citizen, dossier["id"], "TK", signed)
    await portal.attach_from_computer(
        gateway, citizen, dossier["id"], "CCCD", "cccd.png", sample_png(), "image/png"
    )
    submitted = await portal.submit_dossier(gateway, citizen, dossier["id"])
    assert submitted.status_code == 200, submitted.text
    await portal.officer_action(gateway, officer, dossier["id"], "accept")
    return await portal.officer_action(gateway, officer, dossier["id"], "start_processing")


async def test_officer_signs_completes_and_returns_the_result_to_the_vault(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, idp: IdpClient, citizen: TestUser
) -> None:
    officer = await signing_officer(idp, ca, AGENCY)
    dossier = await dossier_in_processing(gateway, ca, citizen, officer)
    did = str(dossier["id"])
    code = str(dossier["receipt_code"])

    # Nobody completes without a result, and nobody but the agency's officers touches it.
    missing = await portal.act(gateway, officer, did, "complete")
    assert missing.status_code == 409 and missing.json()["code"] == "result_missing"
    assert missing.headers["content-type"].startswith("application/problem+json")
    by_citizen = await portal.upload_result(gateway, citizen, did, sample_pdf("Ket qua"))
    assert by_citizen.status_code == 403
    stranger = await signing_officer(idp, ca, "CA-HNI")
    by_stranger = await portal.upload_result(gateway, stranger, did, sample_pdf("Ket qua"))
    assert by_stranger.status_code == 404
    assert (await portal.sign_result(gateway, stranger, did)).status_code == 404

    # The same checks as the components: sniffed type, and a PDF that can be signed.
    png = await portal.upload_result(gateway, officer, did, sample_png(), "ket-qua.pdf")
    assert png.status_code == 415 and png.json()["code"] == "result_file_type"
    locked = await portal.upload_result(gateway, officer, did, encrypt_pdf(sample_pdf("Khoa")))
    assert locked.status_code == 422
    assert locked.json()["code"] == "result_unsignable"
    assert locked.json()["reason"] == "encrypted_pdf"
    broken = await portal.upload_result(gateway, officer, did, sample_pdf("Hong")[:300])
    assert broken.status_code == 422 and broken.json()["reason"] == "malformed_pdf"

    content = sample_pdf("Phieu ly lich tu phap so 1")
    uploaded = await portal.upload_result(gateway, officer, did, content)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["result"]["status"] == "uploaded"
    assert uploaded.json()["result"]["sha256"] == hashlib.sha256(content).hexdigest()
    unsigned = await portal.act(gateway, officer, did, "complete")
    assert unsigned.status_code == 409 and unsigned.json()["code"] == "result_not_signed"
    # The citizen sees no result before it is returned.
    assert (await portal.get_dossier(gateway, citizen, did)).get("result") is None
    early = await gateway.get(
        f"{portal.SUBMISSION}/dossiers/{did}/result/content", headers=citizen.headers
    )
    assert early.status_code == 404

    # The officer's own certificate: the push reaches the officer's phone, not the citizen's.
    asked = await portal.sign_result(gateway, officer, did)
    assert asked.status_code == 202, asked.text
    assert asked.json()["result"]["status"] == "signing"
    again = await portal.sign_result(gateway, officer, did)
    assert again.status_code == 409 and again.json()["code"] == "result_signing"
    request = await portal.wait_for_phone_request(ca, officer, f"Kết quả giải quyết hồ sơ {code}")
    await portal.approve_on_phone(ca, officer, request["transaction_id"])
    signed = await portal.wait_for_result(gateway, officer, did, {"signed", "sign_failed"})
    result = signed["result"]
    assert result["status"] == "signed", result.get("failure_message")
    assert result["signer_name"] == officer.name

    completed = await portal.act(gateway, officer, did, "complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == 9
    check = completed.json()["result"]["check"]
    assert check["signed"] and check["intact"] and check["trusted"]
    returned = await portal.act(gateway, officer, did, "return_result")
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == 10

    # The citizen downloads the signed result, and finds a copy in the vault.
    seen = await portal.get_dossier(gateway, citizen, did)
    assert seen["result"]["signed"] and seen["result"]["returned_at"]
    download = await gateway.get(
        f"{portal.SUBMISSION}/dossiers/{did}/result/content", headers=citizen.headers
    )
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == seen["result"]["signed_sha256"]

    async def vault() -> dict[str, object]:
        listed = await portal.list_documents(gateway, citizen)
        return {"items": [d for d in listed["items"] if code in d["name"]]}

    found = await portal.poll(vault, lambda v: bool(v["items"]), what="the result in the vault")
    copies = found["items"]
    assert isinstance(copies, list) and len(copies) == 1
    copy = copies[0]
    assert copy["status"] == "signed" and copy["saved"]
    assert copy["object"]["sha256"] == seen["result"]["signed_sha256"]
    report = await portal.document_signatures(gateway, citizen, copy["id"])
    signers = [s["signer_name"] for s in report["signatures"]]
    assert signers == [result["signer_name"]]
    assert all(s["intact"] and s["trusted"] for s in report["signatures"])

    # Only one copy, whatever the redeliveries; and the result is frozen once returned.
    late = await portal.upload_result(gateway, officer, did, sample_pdf("Muon"))
    assert late.status_code == 409 and late.json()["code"] == "result_not_editable"
