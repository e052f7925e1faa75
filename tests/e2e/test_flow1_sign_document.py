"""Flow 1 "Ký số trên hồ sơ điện tử", step by step through the gateway, and its failure paths."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime

import httpx
import pytest

from hoso_testing.files import sample_pdf
from hoso_testing.identity import TestUser

from . import api_client as portal

pytestmark = pytest.mark.e2e


async def _upload_for_signing(
    gateway: httpx.AsyncClient, citizen: TestUser, provider: str = "vnpt-smartca"
) -> tuple[dict[str, object], str, bytes]:
    name = f"Bằng tốt nghiệp {uuid.uuid4().hex[:6]}"
    original = sample_pdf("Bang tot nghiep")
    document = await portal.upload_document(
        gateway,
        citizen,
        name=name,
        filename="bang-tot-nghiep.pdf",
        content=original,
        sign=True,
        provider=provider,
    )
    return document, name, original


async def test_flow1_upload_sign_approve_save_download_validate(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> None:
    # 1–2. Logged in, the vault starts empty.
    assert (await portal.list_documents(gateway, citizen))["items"] == []

    # 3–4. "+ Tải tài liệu mới": name, file, provider, "Ký số".
    document, name, original = await _upload_for_signing(gateway, citizen)
    assert document["name"] == name
    assert document["versions"][0]["sha256"] == hashlib.sha256(original).hexdigest()

    # 5. "Thông báo chờ xử lý" while the phone rings.
    signing = await portal.wait_for_document(gateway, citizen, document["id"], {"signing"})
    request_id = signing["signing"]["request_id"]
    request = await portal.wait_for_sign_request(gateway, citizen, request_id, {"pending"})
    assert request["message"]
    notification = await portal.wait_for_phone_request(ca, citizen, name)
    assert notification["provider"] == "vnpt-smartca"
    await portal.approve_on_phone(ca, citizen, notification["transaction_id"])

    # Success notice; the citizen presses "OK".
    signed = await portal.wait_for_document(
        gateway, citizen, document["id"], {"signed", "sign_failed"}
    )
    assert signed["status"] == "signed", signed.get("failure")
    assert signed["current_version"] == 2
    finished = await portal.wait_for_sign_request(gateway, citizen, request_id, {"success"})
    assert finished["message"]

    # 6. "Lưu".
    saved = await portal.save_document(gateway, citizen, document["id"])
    assert saved["saved"] is True
    listed = (await portal.list_documents(gateway, citizen))["items"]
    assert [d["id"] for d in listed] == [document["id"]]

    # 7. "Tải tệp": the signed version, which is not the original any more.
    download = await portal.download_document(gateway, citizen, document["id"])
    signed_bytes = download.content
    version = next(v for v in saved["versions"] if v["version"] == 2)
    assert hashlib.sha256(signed_bytes).hexdigest() == version["sha256"]
    assert signed_bytes != original
    assert signed_bytes.startswith(b"%PDF")

    # ... and checks it: the downloaded file's signature is valid and names the citizen.
    report = await portal.validate_file(gateway, citizen, signed_bytes, "bang-tot-nghiep.pdf")
    assert report["valid"] is True, report
    assert report["signature_count"] == 1
    signature = report["signatures"][0]
    assert signature["intact"] is True
    assert signature["trusted"] is True
    assert signature["signer_name"] == citizen.name
    assert citizen.citizen_id in (signature["signer"]["subject_serial"] or "")
    vault_report = await portal.document_signatures(gateway, citizen, document["id"])
    assert vault_report["valid"] is True


async def test_flow1_rejected_on_phone_leaves_the_original_only(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> None:
    document, name, original = await _upload_for_signing(gateway, citizen)
    notification = await portal.wait_for_phone_request(ca, citizen, name)
    await portal.reject_on_phone(ca, citizen, notification["transaction_id"])

    failed = await portal.wait_for_document(
        gateway, citizen, document["id"], {"signed", "sign_failed"}
    )
    assert failed["status"] == "sign_failed"
    assert failed["failure"]["reason"] == "rejected"
    assert "từ chối" in failed["failure"]["message"]
    assert failed["signing"] is None
    assert [v["version"] for v in failed["versions"]] == [1]
    assert (await portal.download_document(gateway, citizen, document["id"])).content == original
    assert await portal.phone_requests(ca, citizen) == []
    # Approving afterwards changes nothing.
    late = await ca.post(
        f"/phone/requests/{notification['transaction_id']}/approve", headers=citizen.headers
    )
    assert late.status_code == 409
    await asyncio.sleep(1.0)
    again = await portal.get_document(gateway, citizen, document["id"])
    assert again["status"] == "sign_failed" and len(again["versions"]) == 1


async def test_flow1_expired_approval_leaves_the_original_only(
    gateway: httpx.AsyncClient,
    ca: httpx.AsyncClient,
    citizen: TestUser,
    short_approval_window: float,
) -> None:
    document, name, original = await _upload_for_signing(gateway, citizen)
    notification = await portal.wait_for_phone_request(ca, citizen, name)
    created = datetime.fromisoformat(notification["created_at"])
    expires = datetime.fromisoformat(notification["expires_at"])
    ttl = (expires - created).total_seconds()
    assert ttl == short_approval_window
    # The citizen never answers.
    failed = await portal.wait_for_document(
        gateway, citizen, document["id"], {"signed", "sign_failed"}, timeout_s=ttl + 30
    )
    assert failed["status"] == "sign_failed"
    assert failed["failure"]["reason"] == "expired"
    assert "hết hạn" in failed["failure"]["message"]
    assert failed["signing"] is None
    assert [v["version"] for v in failed["versions"]] == [1]
    assert (await portal.download_document(gateway, citizen, document["id"])).content == original
    late = await ca.post(
        f"/phone/requests/{notification['transaction_id']}/approve", headers=citizen.headers
    )
    assert late.status_code == 409


async def test_flow1_with_fpt_ca_approved_on_the_phone_and_validated(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> None:
    providers = (await gateway.get("/api/signing/v1/providers")).json()
    assert {"id": "fpt-esign", "name": "FPT-CA", "approval": "webhook"} in providers

    document, name, original = await _upload_for_signing(gateway, citizen, "fpt-esign")
    signing = await portal.wait_for_document(gateway, citizen, document["id"], {"signing"})
    request_id = signing["signing"]["request_id"]
    request = await portal.wait_for_sign_request(gateway, citizen, request_id, {"pending"})
    assert request["provider_name"] == "FPT-CA" and request["authorization"] == "app"
    notification = await portal.wait_for_phone_request(ca, citizen, name)
    assert notification["provider"] == "fpt-esign"
    await portal.approve_on_phone(ca, citizen, notification["transaction_id"])

    signed = await portal.wait_for_document(
        gateway, citizen, document["id"], {"signed", "sign_failed"}
    )
    assert signed["status"] == "signed", signed.get("failure")
    download = await portal.download_document(gateway, citizen, document["id"])
    assert download.content.startswith(original)
    report = await portal.validate_file(gateway, citizen, download.content, "bang-tot-nghiep.pdf")
    assert report["valid"] is True, report
    [signature] = report["signatures"]
    assert signature["intact"] and signature["trusted"]
    assert signature["revocation"] == "good" and signature["pades_level"] == "B-LT"
    assert signature["signer_name"] == citizen.name
    assert citizen.citizen_id in (signature["signer"]["subject_serial"] or "")


async def test_flow1_with_fpt_ca_rejected_on_the_phone(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> None:
    document, name, original = await _upload_for_signing(gateway, citizen, "fpt-esign")
    notification = await portal.wait_for_phone_request(ca, citizen, name)
    assert notification["provider"] == "fpt-esign"
    await portal.reject_on_phone(ca, citizen, notification["transaction_id"])

    failed = await portal.wait_for_document(
        gateway, citizen, document["id"], {"signed", "sign_failed"}
    )
    assert failed["status"] == "sign_failed"
    assert failed["failure"]["reason"] == "rejected"
    assert "từ chối" in failed["failure"]["message"]
    assert [v["version"] for v in failed["versions"]] == [1]
    assert (await portal.download_document(gateway, citizen, document["id"])).content == original
