"""VNPT SmartCA shape over real HTTP: certificate chain, sign → phone → approve/reject/expire."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from hoso_testing.identity import browser, log_in_on_phone

if TYPE_CHECKING:
    from conftest import StartCa, WebhookReceiver

    from hoso_testing.identity import IdpClient

pytestmark = pytest.mark.integration
SP = {"sp_id": "hoso-sp", "sp_password": "hoso-sp-secret"}


def citizen_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


async def get_certificate(ca: httpx.AsyncClient, user_id: str) -> dict[str, object]:
    response = await ca.post(
        "/vnpt/v1/credentials/get_certificate", json={**SP, "user_id": user_id}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status_code"], body["message"]) == (200, "success")
    (entry,) = body["data"]["user_certificates"]
    return entry  # type: ignore[no-any-return]


async def request_signature(
    ca: httpx.AsyncClient, user_id: str, digest: bytes, doc_id: str, name: str, caller_id: str
) -> dict[str, str]:
    response = await ca.post(
        "/vnpt/v1/signatures/sign",
        json={
            **SP,
            "user_id": user_id,
            "transaction_id": caller_id,
            "transaction_desc": name,
            "sign_files": [
                {
                    "data_to_be_signed": digest.hex(),
                    "doc_id": doc_id,
                    "file_type": "pdf",
                    "sign_type": "hash",
                }
            ],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status_code"], body["message"]) == (200, "sig_wait_for_user_confirm")
    return body["data"]  # type: ignore[no-any-return]


async def status_of(ca: httpx.AsyncClient, tran_id: str) -> dict[str, object]:
    response = await ca.post(f"/vnpt/v1/signatures/sign/{tran_id}/status", json=SP)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_certificate_chain_verifies_to_the_served_root(ca: httpx.AsyncClient) -> None:
    user_id = citizen_id()
    entry = await get_certificate(ca, user_id)
    cert = x509.load_der_x509_certificate(base64.b64decode(entry["cert_data"]))  # type: ignore[arg-type]
    chain = entry["chain_data"]
    issuing = x509.load_der_x509_certificate(base64.b64decode(chain["ca_cert"]))  # type: ignore[index]
    root = x509.load_der_x509_certificate(base64.b64decode(chain["root_cert"]))  # type: ignore[index]
    served_root = x509.load_pem_x509_certificate((await ca.get("/pki/root.pem")).content)
    assert root == served_root
    assert x509.load_der_x509_certificate((await ca.get("/pki/issuing.crt")).content) == issuing
    cert.verify_directly_issued_by(issuing)
    issuing.verify_directly_issued_by(root)
    assert entry["serial_number"] == format(cert.serial_number, "x")
    assert entry["cert_status"] == "Đang hoạt động"
    assert entry["cert_subject"] == f"CN=CÔNG DÂN {user_id},serialNumber=CCCD:{user_id},C=VN"
    # An independent path validation (X.509 rules, not just signatures) with OpenSSL.
    with tempfile.TemporaryDirectory() as directory:
        paths = {}
        for name, c in {"root": root, "issuing": issuing, "leaf": cert}.items():
            paths[name] = Path(directory) / f"{name}.pem"
            paths[name].write_bytes(c.public_bytes(serialization.Encoding.PEM))
        result = subprocess.run(
            [
                "openssl",
                "verify",
                "-x509_strict",
                "-CAfile",
                paths["root"],
                "-untrusted",
                paths["issuing"],
                paths["leaf"],
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    # Same citizen again: same certificate.
    assert (await get_certificate(ca, user_id))["cert_data"] == entry["cert_data"]


async def test_wrong_sp_password_is_401(ca: httpx.AsyncClient) -> None:
    response = await ca.post(
        "/vnpt/v1/credentials/get_certificate",
        json={"sp_id": "hoso-sp", "sp_password": "wrong", "user_id": citizen_id()},
    )
    assert response.status_code == 401
    body = response.json()
    assert (body["status_code"], body["message"]) == (401, "SP_CREDENTIAL_INVALID")
    sign = await ca.post(
        "/vnpt/v1/signatures/sign",
        json={
            "sp_id": "other-sp",
            "sp_password": "hoso-sp-secret",
            "user_id": citizen_id(),
            "transaction_id": "x",
            "sign_files": [{"data_to_be_signed": "00" * 32, "doc_id": "d"}],
        },
    )
    assert sign.status_code == 401


async def test_sign_phone_approve_status_and_webhook(
    ca: httpx.AsyncClient, hook: WebhookReceiver, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    user_id = str(citizen.citizen_id)
    phone = citizen.headers
    entry = await get_certificate(ca, user_id)
    cert = x509.load_der_x509_certificate(base64.b64decode(entry["cert_data"]))  # type: ignore[arg-type]
    digest = hashlib.sha256(secrets.token_bytes(32)).digest()
    doc_id, name, caller_id = (
        f"doc-{secrets.token_hex(4)}",
        "Tờ khai đăng ký khai sinh",
        secrets.token_hex(8),
    )
    started = await request_signature(ca, user_id, digest, doc_id, name, caller_id)
    again = await request_signature(ca, user_id, digest, doc_id, name, caller_id)
    assert again == started, "the same caller transaction id must give the same CA transaction"

    waiting = await status_of(ca, started["transaction_id"])
    assert waiting["message"] == "WAITING_FOR_SIGNER_CONFIRM"
    assert waiting["data"]["tran_status"] == "wait"  # type: ignore[index]

    shown = (await ca.get(f"/phone/{user_id}/requests", headers=phone)).json()
    assert [
        (r["transaction_id"], r["doc_id"], r["document_name"], r["provider"]) for r in shown
    ] == [(started["transaction_id"], doc_id, name, "vnpt-smartca")]
    assert shown[0]["status"] == "pending" and shown[0]["tran_code"] == started["tran_code"]
    assert (await ca.get(f"/phone/{citizen_id()}/requests", headers=phone)).status_code == 403
    async with browser() as person:
        _, page = await log_in_on_phone(person, f"{ca.base_url}/phone", citizen)
    assert doc_id in page and name in page and "Đồng ý ký" in page and "Từ chối" in page

    approved = await ca.post(f"/phone/requests/{started['transaction_id']}/approve", headers=phone)
    assert approved.status_code == 200, approved.text
    assert approved.json() == {"transaction_id": started["transaction_id"], "status": "signed"}

    done = await status_of(ca, started["transaction_id"])
    assert done["message"] == "SUCCESS"
    data = done["data"]
    assert data["tran_status"] == "signed"  # type: ignore[index]
    (signature,) = data["signatures"]  # type: ignore[index]
    assert signature["doc_id"] == doc_id
    assert signature["timestamp_signature"]
    signature_value = base64.b64decode(signature["signature_value"])
    cert.public_key().verify(  # type: ignore[union-attr, call-arg]
        signature_value, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256())
    )

    webhook = await hook.wait_for(started["transaction_id"])
    assert webhook == {
        "transaction_id": started["transaction_id"],
        "sp_transaction_id": caller_id,
        "status_code": 200,
        "status": "signed",
        "signed_files": [{"doc_id": doc_id, "signature_value": signature["signature_value"]}],
    }
    assert hook.rejected == 0
    assert (await ca.get(f"/phone/{user_id}/requests", headers=phone)).json() == []
    everything = (
        await ca.get(f"/phone/{user_id}/requests", params={"status": "all"}, headers=phone)
    ).json()
    assert [r["status"] for r in everything] == ["signed"]
    again = await ca.post(f"/phone/requests/{started['transaction_id']}/approve", headers=phone)
    assert again.status_code == 409
    assert again.json()["code"] == "sign_request_closed"


async def test_reject_path(ca: httpx.AsyncClient, hook: WebhookReceiver, idp: IdpClient) -> None:
    citizen = await idp.citizen()
    user_id = str(citizen.citizen_id)
    caller_id = secrets.token_hex(8)
    started = await request_signature(
        ca, user_id, hashlib.sha256(b"r").digest(), "doc-r", "Đơn xin việc", caller_id
    )
    rejected = await ca.post(
        f"/phone/requests/{started['transaction_id']}/reject", headers=citizen.headers
    )
    assert rejected.json()["status"] == "rejected"
    done = await status_of(ca, started["transaction_id"])
    assert done["message"] == "REJECTED"
    assert done["data"]["signatures"] == []  # type: ignore[index]
    webhook = await hook.wait_for(started["transaction_id"])
    assert (webhook["status_code"], webhook["status"], webhook["signed_files"]) == (
        4002,
        "rejected",
        [],
    )
    assert (
        await ca.post(
            f"/phone/requests/{started['transaction_id']}/approve", headers=citizen.headers
        )
    ).status_code == 409
    missing = await ca.post("/phone/requests/no-such-id/approve", headers=citizen.headers)
    assert missing.status_code == 404


async def test_expiry_with_a_tiny_ttl(
    start_ca: StartCa, hook: WebhookReceiver, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    async with start_ca(request_ttl_s=0.5) as running:
        ca = running.client
        user_id = str(citizen.citizen_id)
        started = await request_signature(
            ca, user_id, hashlib.sha256(b"e").digest(), "doc-e", "Hết hạn", secrets.token_hex(8)
        )
        webhook = await hook.wait_for(started["transaction_id"], timeout_s=5)
        assert (webhook["status_code"], webhook["status"]) == (4001, "expired")
        assert (await status_of(ca, started["transaction_id"]))["message"] == "EXPIRED"
        late = await ca.post(
            f"/phone/requests/{started['transaction_id']}/approve", headers=citizen.headers
        )
        assert late.status_code == 409
        assert late.json()["request_status"] == "expired"
        pending = await ca.get(f"/phone/{user_id}/requests", headers=citizen.headers)
        assert pending.json() == []


async def test_webhook_is_retried_after_failures(
    ca: httpx.AsyncClient, hook: WebhookReceiver, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    hook.fail_next = 2
    started = await request_signature(
        ca,
        str(citizen.citizen_id),
        hashlib.sha256(b"x").digest(),
        "d",
        "Retry",
        secrets.token_hex(8),
    )
    await ca.post(f"/phone/requests/{started['transaction_id']}/approve", headers=citizen.headers)
    webhook = await hook.wait_for(started["transaction_id"], timeout_s=10)
    assert webhook["status"] == "signed"
    assert hook.attempts == 3


async def test_bad_digest_is_400(ca: httpx.AsyncClient) -> None:
    response = await ca.post(
        "/vnpt/v1/signatures/sign",
        json={
            **SP,
            "user_id": citizen_id(),
            "transaction_id": secrets.token_hex(4),
            "sign_files": [{"data_to_be_signed": "abcd", "doc_id": "d"}],
        },
    )
    assert response.status_code == 400
    assert response.json()["message"] == "REQUEST_INVALID"
