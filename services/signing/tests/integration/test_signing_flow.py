"""End to end inside signing: SignRequested → CA approval → one SignCompleted and a valid file."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hoso_common import topics
from hoso_common.capability import VALIDATION_AUDIENCE, issue_capability
from hoso_common.events import StampOptions
from hoso_common.storage import ObjectStorage
from hoso_signing.config import Settings
from hoso_signing.providers import OtpRefused
from hoso_signing.providers.fpt import FptESignClient, RelyingParty
from hoso_testing.identity import browser, log_in_on_phone
from hoso_testing.signing.harness import (
    CAPABILITY_SECRET,
    TEST_BUCKET,
    SignRequestFeeder,
    ours,
)
from hoso_testing.signing.pdfs import build_pdf, encrypt_pdf

pytestmark = pytest.mark.integration


def completed_for(request_id: str) -> Any:
    return lambda r: ours(r) and r["value"]["data"]["request_id"] == request_id


async def sign_through_phone(
    feeder: SignRequestFeeder,
    sandbox_ca: Any,
    watch: Any,
    data: bytes,
    *,
    filename: str = "to-khai.pdf",
    content_type: str = "application/pdf",
    provider: str = "vnpt-smartca",
    decision: str = "approve",
    stamp: StampOptions | None = None,
    name: str = "NGUYỄN VĂN A",
) -> tuple[str, dict[str, Any], Any]:
    watcher = await watch(topics.SIGN_COMPLETED)
    user_id = await sandbox_ca.enroll(name)
    ref = await feeder.upload(data, filename=filename, content_type=content_type)
    request = feeder.request(
        ref,
        signer_id=user_id,
        signer_sub=f"citizen-{uuid.uuid4().hex[:8]}",
        provider=provider,
        stamp=stamp,
    )
    await feeder.publish(request)
    pending = await sandbox_ca.wait_pending(user_id)
    assert pending["doc_id"] == request.request_id
    response = await sandbox_ca.decide(pending["transaction_id"], decision)
    assert response.status_code == 200, response.text
    record = await watcher.wait_for(completed_for(request.request_id), timeout_s=60)
    return request.request_id, record["value"]["data"], request


async def fetch_signed(storage: ObjectStorage, completed: dict[str, Any]) -> bytes:
    ref = completed["signed_object"]
    data = await storage.read_bytes(ref["bucket"], ref["key"])
    assert hashlib.sha256(data).hexdigest() == ref["sha256"]
    return data


async def validate_upload(api: httpx.AsyncClient, user: Any, data: bytes) -> dict[str, Any]:
    response = await api.post(
        "/v1/validations",
        headers=user.headers,
        files={"file": ("signed.pdf", data, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@dataclass
class Phone:
    """Sign a file through the sandbox CA's phone: upload, SignRequested, the decision."""

    feeder: SignRequestFeeder
    sandbox_ca: Any
    watch: Any

    async def sign(self, data: bytes, **options: Any) -> tuple[str, dict[str, Any], Any]:
        return await sign_through_phone(self.feeder, self.sandbox_ca, self.watch, data, **options)


@dataclass
class SignedFile:
    """Read a signed file back and check it with signing's API and with poppler's pdfsig."""

    storage: ObjectStorage
    api: httpx.AsyncClient
    idp: Any
    pdfsig: Any

    async def fetch(self, completed: dict[str, Any]) -> bytes:
        return await fetch_signed(self.storage, completed)

    async def validate(self, user: Any, data: bytes) -> dict[str, Any]:
        return await validate_upload(self.api, user, data)


@pytest.fixture
def phone(feeder: SignRequestFeeder, sandbox_ca: Any, watch: Any) -> Phone:
    return Phone(feeder, sandbox_ca, watch)


@pytest.fixture
def signed_file(
    storage: ObjectStorage, api: httpx.AsyncClient, idp: Any, pdfsig: Any
) -> SignedFile:
    return SignedFile(storage, api, idp, pdfsig)


def capability_for(user: Any, bucket: str, key: str) -> str:
    """What documents or submission would issue to this user for one of their objects."""
    return issue_capability(
        CAPABILITY_SECRET,
        issuer="documents",
        subject=user.sub,
        audience=VALIDATION_AUDIENCE,
        bucket=bucket,
        key=key,
    )


def assert_pdfsig_valid(report: str, signatures: int) -> None:
    assert report.count("Signature is Valid") == signatures, report
    assert "Certificate is Trusted" in report or "Certificate issuer isn't Trusted" in report, (
        report
    )


async def test_pdf_signed_as_pades_b_lt_and_accepted_by_both_validators(
    phone: Phone, signed_file: SignedFile
) -> None:
    pdf = build_pdf(2)
    request_id, completed, _ = await phone.sign(pdf)
    assert completed["status"] == "signed", completed
    assert completed["signature_format"] == "pades"
    assert completed["pades_level"] == "B-LT"
    assert completed["signer_name"] == "NGUYỄN VĂN A"
    assert completed["signed_object"]["key"] == f"signed/{request_id}/to-khai.pdf"
    signed = await signed_file.fetch(completed)
    assert signed.startswith(pdf)  # incremental update: the original bytes are untouched

    user = await signed_file.idp.citizen()
    report = await signed_file.validate(user, signed)
    assert report["valid"] is True, report
    [signature] = report["signatures"]
    assert signature["intact"] and signature["trusted"]
    assert signature["pades_level"] == "B-LT"
    assert signature["revocation"] == "good"
    assert signature["timestamp"] is not None
    assert signature["verdict"].startswith("Chữ ký hợp lệ: ký bởi NGUYỄN VĂN A lúc ")
    assert signature["verdict"].endswith("tài liệu không bị thay đổi sau khi ký.")

    assert_pdfsig_valid(await signed_file.pdfsig(signed), 1)

    by_reference = await signed_file.api.post(
        "/v1/validations",
        headers=user.headers,
        json={"capability": capability_for(user, TEST_BUCKET, completed["signed_object"]["key"])},
    )
    assert by_reference.status_code == 200, by_reference.text
    assert by_reference.json()["verdict"] == report["verdict"]
    refused = await signed_file.api.post(
        "/v1/validations",
        headers=user.headers,
        json={"capability": capability_for(user, "hoso-eforms", "x")},
    )
    assert refused.status_code == 403
    anonymous = await signed_file.api.post(
        "/v1/validations", json={"capability": capability_for(user, TEST_BUCKET, "x")}
    )
    assert anonymous.status_code == 401

    tampered = bytearray(signed)
    position = signed.index(b"trang 1")
    tampered[position] = ord("T")
    broken = await signed_file.validate(user, bytes(tampered))
    assert broken["valid"] is False
    assert broken["verdict"] == "Chữ ký không hợp lệ: tài liệu đã bị sửa đổi sau khi ký."


async def test_viettel_polling_and_visible_vietnamese_stamp(
    phone: Phone, signed_file: SignedFile
) -> None:
    pdf = build_pdf(3)
    _, completed, _ = await phone.sign(
        pdf,
        provider="viettel-mysign",
        stamp=StampOptions(page=-1),
        name="TRẦN THỊ BÌNH",
    )
    assert completed["status"] == "signed", completed
    signed = await signed_file.fetch(completed)
    assert b"/Subtype /Widget" in signed or b"/Subtype/Widget" in signed
    assert b"DejaVuSans" in signed  # the stamp embeds a font with Vietnamese glyphs
    user = await signed_file.idp.citizen()
    report = await signed_file.validate(user, signed)
    assert report["valid"] is True, report
    assert "TRẦN THỊ BÌNH" in report["verdict"]
    assert_pdfsig_valid(await signed_file.pdfsig(signed), 1)


async def test_already_signed_pdf_keeps_both_signatures_valid(
    phone: Phone, signed_file: SignedFile
) -> None:
    _, first, _ = await phone.sign(build_pdf(1))
    once = await signed_file.fetch(first)
    _, second, _ = await phone.sign(once, name="LÊ VĂN CƯỜNG")
    assert second["status"] == "signed", second
    twice = await signed_file.fetch(second)
    assert twice.startswith(once)
    report = await signed_file.validate(await signed_file.idp.citizen(), twice)
    assert report["signature_count"] == 2
    assert report["valid"] is True, report
    assert all(s["intact"] and s["trusted"] for s in report["signatures"])
    assert report["signatures"][0]["changed_after_signing"] is True
    assert report["signatures"][0]["modifications_allowed"] is True
    assert_pdfsig_valid(await signed_file.pdfsig(twice), 2)


@pytest.mark.slow
async def test_hundred_page_pdf(phone: Phone, signed_file: SignedFile) -> None:
    pdf = build_pdf(100, pad_to=300_000)
    _, completed, _ = await phone.sign(pdf)
    assert completed["status"] == "signed", completed
    signed = await signed_file.fetch(completed)
    report = await signed_file.validate(await signed_file.idp.citizen(), signed)
    assert report["valid"] is True, report
    assert_pdfsig_valid(await signed_file.pdfsig(signed), 1)


async def test_other_file_gets_detached_cades(
    api: httpx.AsyncClient,
    feeder: SignRequestFeeder,
    sandbox_ca: Any,
    watch: Any,
    storage: ObjectStorage,
    idp: Any,
) -> None:
    content = "Bản khai hộ khẩu — nội dung văn bản\n".encode() * 50
    _, completed, _ = await sign_through_phone(
        feeder, sandbox_ca, watch, content, filename="ban-khai.txt", content_type="text/plain"
    )
    assert completed["status"] == "signed", completed
    assert completed["signature_format"] == "cades"
    assert completed["signed_object"]["key"].endswith("ban-khai.txt.p7s")
    p7s = await fetch_signed(storage, completed)
    user = await idp.citizen()
    response = await api.post(
        "/v1/validations",
        headers=user.headers,
        files={
            "file": ("ban-khai.txt", content, "text/plain"),
            "signature": ("ban-khai.txt.p7s", p7s, "application/pkcs7-signature"),
        },
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is True, report
    assert report["signatures"][0]["format"] == "cades"
    assert report["signatures"][0]["timestamp"] is not None

    tampered = content.replace(b"n", b"m", 1)
    response = await api.post(
        "/v1/validations",
        headers=user.headers,
        files={"file": ("x.txt", tampered, "text/plain"), "signature": ("x.p7s", p7s, "x/y")},
    )
    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["verdict"] == "Chữ ký không hợp lệ: tài liệu đã bị sửa đổi sau khi ký."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encrypt_pdf(build_pdf(1)), "encrypted_pdf"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nthis is not a pdf\n%%EOF", "malformed_pdf"),
    ],
    ids=["encrypted", "malformed"],
)
async def test_unsignable_pdf_fails_cleanly_without_output(
    data: bytes,
    reason: str,
    feeder: SignRequestFeeder,
    sandbox_ca: Any,
    watch: Any,
    storage: ObjectStorage,
    api: httpx.AsyncClient,
    idp: Any,
) -> None:
    watcher = await watch(topics.SIGN_COMPLETED)
    citizen = await idp.citizen()
    user_id = await sandbox_ca.enroll("PHẠM VĂN DŨNG")
    ref = await feeder.upload(data, filename="hong.pdf")
    request = feeder.request(ref, signer_id=user_id, signer_sub=citizen.sub)
    await feeder.publish(request)
    record = await watcher.wait_for(completed_for(request.request_id), timeout_s=60)
    completed = record["value"]["data"]
    assert completed["status"] == "failed"
    assert completed["failure_reason"] == reason
    assert completed["signed_object"] is None
    assert await storage.list_keys(TEST_BUCKET, f"signed/{request.request_id}/") == []
    assert await sandbox_ca.pending(user_id) == []  # the CA was never asked

    status = await api.get(f"/v1/sign-requests/{request.request_id}", headers=citizen.headers)
    assert status.status_code == 200
    body = status.json()
    assert body["phase"] == "failure"
    assert body["message"].startswith("Ký số không thành công")
    assert body["failure_message"]

    other = await idp.citizen()
    hidden = await api.get(f"/v1/sign-requests/{request.request_id}", headers=other.headers)
    assert hidden.status_code == 404

    response = await api.post(
        "/v1/validations",
        headers=citizen.headers,
        files={"file": ("hong.pdf", data, "application/pdf")},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["reason"] in {reason, "malformed_pdf"}


async def test_rejected_on_phone_ends_rejected_once(
    feeder: SignRequestFeeder, sandbox_ca: Any, watch: Any, storage: ObjectStorage
) -> None:
    request_id, completed, _ = await sign_through_phone(
        feeder, sandbox_ca, watch, build_pdf(1), decision="reject"
    )
    assert completed["status"] == "rejected"
    assert completed["signed_object"] is None
    assert await storage.list_keys(TEST_BUCKET, f"signed/{request_id}/") == []


async def test_duplicate_sign_requested_makes_one_request(
    feeder: SignRequestFeeder, sandbox_ca: Any, watch: Any, storage: ObjectStorage
) -> None:
    watcher = await watch(topics.SIGN_COMPLETED)
    user_id = await sandbox_ca.enroll("HOÀNG THỊ EM")
    ref = await feeder.upload(build_pdf(1), filename="trung.pdf")
    request = feeder.request(ref, signer_id=user_id, signer_sub="citizen-dup")
    await feeder.publish(request)
    await feeder.publish(request)  # redelivered or produced twice
    await sandbox_ca.wait_pending(user_id)
    await asyncio.sleep(1.0)
    pending = await sandbox_ca.pending(user_id)
    assert len(pending) == 1
    await sandbox_ca.decide(pending[0]["transaction_id"], "approve")
    await watcher.wait_for(completed_for(request.request_id), timeout_s=60)
    await asyncio.sleep(1.5)
    assert len(watcher.matching(completed_for(request.request_id))) == 1
    assert len(await storage.list_keys(TEST_BUCKET, f"signed/{request.request_id}/")) == 1


async def test_public_providers_list(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/providers")
    assert response.status_code == 200
    names = {p["id"]: p["name"] for p in response.json()}
    assert names == {
        "vnpt-smartca": "VNPT-CA (SmartCA)",
        "viettel-mysign": "Viettel-CA (MySign)",
        "fpt-esign": "FPT-CA",
    }


async def test_forged_or_stale_callback_is_refused(api: httpx.AsyncClient) -> None:
    import time

    from hoso_signing.domain.webhooks import webhook_signature

    body = b'{"transaction_id": "x", "sp_transaction_id": "y", "status": "signed"}'
    forged = await api.post(
        "/v1/callbacks/vnpt-smartca",
        content=body,
        headers={"X-Hoso-Timestamp": str(int(time.time())), "X-Hoso-Signature": "00" * 32},
    )
    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/problem+json")
    stale_ts = str(int(time.time()) - 1000)
    stale = await api.post(
        "/v1/callbacks/vnpt-smartca",
        content=body,
        headers={
            "X-Hoso-Timestamp": stale_ts,
            "X-Hoso-Signature": webhook_signature("dev-webhook-secret", stale_ts, body),
        },
    )
    assert stale.status_code == 401
    missing = await api.post("/v1/callbacks/vnpt-smartca", content=body)
    assert missing.status_code == 401


# FPT-CA (SignCloud) -------------------------------------------------------------------


async def test_fpt_approved_on_the_phone_gives_a_valid_pades(
    phone: Phone, signed_file: SignedFile
) -> None:
    pdf = build_pdf(1)
    _, completed, request = await phone.sign(pdf, provider="fpt-esign", name="TRẦN THỊ FPT")
    assert completed["status"] == "signed", completed
    assert completed["pades_level"] == "B-LT"
    signed = await signed_file.fetch(completed)
    report = await signed_file.validate(await signed_file.idp.citizen(), signed)
    assert report["valid"] is True, report
    [signature] = report["signatures"]
    assert signature["trusted"] and signature["revocation"] == "good"
    assert signature["signer"]["subject_serial"] == f"CCCD:{request.signer_id}"
    assert_pdfsig_valid(await signed_file.pdfsig(signed), 1)


async def test_fpt_rejected_on_the_phone(
    feeder: SignRequestFeeder, sandbox_ca: Any, watch: Any
) -> None:
    _, completed, _ = await sign_through_phone(
        feeder, sandbox_ca, watch, build_pdf(1), provider="fpt-esign", decision="reject"
    )
    assert completed["status"] == "rejected", completed
    assert completed["signed_object"] is None


async def test_otp_endpoint_belongs_to_the_signer_and_to_otp_requests(
    api: httpx.AsyncClient,
    feeder: SignRequestFeeder,
    sandbox_ca: Any,
    watch: Any,
    idp: Any,
) -> None:
    citizen = await idp.citizen()
    user_id = await sandbox_ca.enroll("LÊ VĂN OTP")
    watcher = await watch(topics.SIGN_COMPLETED)
    ref = await feeder.upload(build_pdf(1), filename="otp.pdf", content_type="application/pdf")
    request = feeder.request(ref, signer_id=user_id, signer_sub=citizen.sub, provider="fpt-esign")
    await feeder.publish(request)
    pending = await sandbox_ca.wait_pending(user_id)
    url = f"/v1/sign-requests/{request.request_id}/otp"

    shown = await api.get(f"/v1/sign-requests/{request.request_id}", headers=citizen.headers)
    assert shown.json()["authorization"] == "app"
    stranger = await idp.citizen()
    assert (
        await api.post(url, json={"otp": "123456"}, headers=stranger.headers)
    ).status_code == 404
    assert (await api.post(url, json={"otp": "123456"})).status_code == 401
    malformed = await api.post(url, json={"otp": "12"}, headers=citizen.headers)
    assert malformed.status_code == 422
    # Confirmed in the app by default: an OTP is not what this request waits for.
    not_otp = await api.post(url, json={"otp": "123456"}, headers=citizen.headers)
    assert not_otp.status_code == 409 and not_otp.json()["code"] == "otp_not_expected"

    assert (await sandbox_ca.decide(pending["transaction_id"], "approve")).status_code == 200
    record = await watcher.wait_for(completed_for(request.request_id), timeout_s=60)
    assert record["value"]["data"]["status"] == "signed"


async def test_adapter_otp_against_the_sandbox(sandbox_ca: Any) -> None:
    settings = Settings()
    adapter = FptESignClient(
        f"{sandbox_ca.url}/fpt/eSignCloud/restapi",
        RelyingParty(
            name=settings.fpt_relying_party,
            user=settings.fpt_relying_party_user,
            password=settings.fpt_relying_party_password.get_secret_value(),
            signature=settings.fpt_relying_party_signature.get_secret_value(),
            private_key_pem=settings.fpt_relying_party_key.get_secret_value(),
        ),
        authorize_method="sms",
    )
    try:
        user_id = await sandbox_ca.enroll("PHẠM OTP")
        certificate = await adapter.get_certificate(user_id)
        digest = bytes(range(32))
        ticket = await adapter.sign_hash(
            certificate=certificate,
            request_id=uuid.uuid4().hex,
            digest=digest,
            document_name="Tờ khai",
            file_type="pdf",
        )
        # The CA "texts" the OTP to the citizen's phone: its page, after the citizen's login.
        async with browser() as phone:
            _, page = await log_in_on_phone(
                phone, f"{sandbox_ca.url}/phone", sandbox_ca.citizens[user_id]
            )
        found = re.search(r"<strong class=otp>(\d{6})</strong>", page)
        assert found, page
        wrong = "000000" if found.group(1) != "000000" else "111111"
        with pytest.raises(OtpRefused) as refused:
            await adapter.authorize_otp(
                transaction_id=ticket.transaction_id, user_id=user_id, otp=wrong
            )
        assert refused.value.attempts_left == 2
        answer = await adapter.authorize_otp(
            transaction_id=ticket.transaction_id, user_id=user_id, otp=found.group(1)
        )
        assert answer.outcome == "approved" and answer.signature_value
        polled = await adapter.get_status(transaction_id=ticket.transaction_id, user_id=user_id)
        assert polled.signature_value == answer.signature_value
    finally:
        await adapter.aclose()
