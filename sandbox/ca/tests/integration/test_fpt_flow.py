"""FPT.eSign SignCloud shape over real HTTP: agreement, certificate, hash bills, OTP, refusals."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from hoso_common.sandbox_keys import FPT_DEV_RELYING_PARTY_KEY
from hoso_testing.identity import browser, log_in_on_phone

if TYPE_CHECKING:
    from conftest import WebhookReceiver

    from hoso_testing.identity import IdpClient, TestUser

pytestmark = pytest.mark.integration
API = "/fpt/eSignCloud/restapi"
RP_KEY = serialization.load_pem_private_key(FPT_DEV_RELYING_PARTY_KEY.encode(), password=None)
assert isinstance(RP_KEY, rsa.RSAPrivateKey)


RP_ACCOUNT = {"username": "hoso-rp", "password": "change-me", "signature": "change-me"}


def credential_data(
    *, key: rsa.RSAPrivateKey = RP_KEY, password: str | None = None, at_ms: int | None = None
) -> dict[str, str]:
    password = password or RP_ACCOUNT["password"]
    timestamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    signed = ("hoso-rp" + password + "change-me" + timestamp).encode()
    return {
        "username": "hoso-rp",
        "password": password,
        "signature": "change-me",
        "timestamp": timestamp,
        "pkcs1Signature": base64.b64encode(
            key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        ).decode(),
    }


async def call(
    ca: httpx.AsyncClient, function: str, body: dict[str, Any], **credentials: Any
) -> dict[str, Any]:
    response = await ca.post(
        f"{API}/{function}",
        json={"relyingParty": "HOSO", **body, "credentialData": credential_data(**credentials)},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def agreement_for(ca: httpx.AsyncClient, citizen: TestUser | None = None) -> tuple[str, str]:
    user_id = citizen.citizen_id if citizen else None
    user_id = user_id or f"{secrets.randbelow(10**12):012d}"
    agreement = str(uuid.uuid4())
    missing = await call(ca, "getCertificateDetailForSignCloud", {"agreementUUID": agreement})
    assert missing["responseCode"] == 1004
    registered = await call(
        ca,
        "prepareCertificateForSignCloud",
        {"agreementUUID": agreement, "agreementDetails": {"citizenID": user_id}},
    )
    assert registered["responseCode"] == 0, registered
    return user_id, agreement


async def phone_page(ca: httpx.AsyncClient, citizen: TestUser) -> str:
    """The phone page as the citizen sees it after logging in on it."""
    async with browser() as person:
        _, page = await log_in_on_phone(person, f"{ca.base_url}/phone", citizen)
    return page


def hash_bill(agreement: str, digest: bytes, method: int, bill: str) -> dict[str, Any]:
    return {
        "agreementUUID": agreement,
        "relyingPartyBillCode": bill,
        "authorizeMethod": method,
        "messagingMode": 2,
        "hash": base64.b64encode(digest).decode(),
        "hashAlgorithm": "SHA-256",
        "mimeType": "application/sha256-binary",
    }


def verify(certificate_b64: str, signature_b64: str, digest: bytes) -> None:
    certificate = x509.load_der_x509_certificate(base64.b64decode(certificate_b64))
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(
        base64.b64decode(signature_b64),
        digest,
        padding.PKCS1v15(),
        Prehashed(hashes.SHA256()),
    )


async def test_certificate_then_mobile_approval_is_pushed_and_polled(
    ca: httpx.AsyncClient, hook: WebhookReceiver, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    user_id, agreement = await agreement_for(ca, citizen)
    detail = await call(ca, "getCertificateDetailForSignCloud", {"agreementUUID": agreement})
    assert detail["responseCode"] == 0
    assert f"CCCD:{user_id}" in detail["certificateDN"]
    chain = [
        x509.load_der_x509_certificate(base64.b64decode(item))
        for item in [detail["certificate"], *detail["certificateChain"]]
    ]
    chain[0].verify_directly_issued_by(chain[1])
    chain[1].verify_directly_issued_by(chain[2])

    digest = hashlib.sha256(secrets.token_bytes(16)).digest()
    bill = secrets.token_hex(8)
    started = await call(
        ca, "prepareHashSigningForSignCloud", hash_bill(agreement, digest, 3, bill)
    )
    assert started["responseCode"] == 1007 and started["billCode"]
    again = await call(ca, "prepareHashSigningForSignCloud", hash_bill(agreement, digest, 3, bill))
    assert again["billCode"] == started["billCode"]
    waiting = await call(
        ca,
        "getSignatureValueForSignCloud",
        {"agreementUUID": agreement, "billCode": started["billCode"]},
    )
    assert waiting["responseCode"] == 1007

    pending = (await ca.get(f"/phone/{user_id}/requests", headers=citizen.headers)).json()
    assert [(p["transaction_id"], p["provider"]) for p in pending] == [
        (started["billCode"], "fpt-esign")
    ]
    page = await phone_page(ca, citizen)
    assert "FPT-CA" in page and "otp-messages" not in page
    approved = await ca.post(
        f"/phone/requests/{started['billCode']}/approve", headers=citizen.headers
    )
    assert approved.status_code == 200, approved.text

    pushed = await hook.wait_for(started["billCode"])
    assert pushed["responseCode"] == 0 and pushed["relyingPartyBillCode"] == bill
    verify(detail["certificate"], pushed["signatureValue"], digest)
    polled = await call(
        ca,
        "getSignatureValueForSignCloud",
        {"agreementUUID": agreement, "billCode": started["billCode"]},
    )
    assert polled["responseCode"] == 0
    assert polled["signatureValue"] == pushed["signatureValue"]


async def test_rejection_on_the_phone(
    ca: httpx.AsyncClient, hook: WebhookReceiver, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    _, agreement = await agreement_for(ca, citizen)
    digest = hashlib.sha256(b"reject").digest()
    started = await call(
        ca, "prepareHashSigningForSignCloud", hash_bill(agreement, digest, 3, secrets.token_hex(8))
    )
    rejected = await ca.post(
        f"/phone/requests/{started['billCode']}/reject", headers=citizen.headers
    )
    assert rejected.status_code == 200
    pushed = await hook.wait_for(started["billCode"])
    assert pushed["responseCode"] == 1010 and "signatureValue" not in pushed


async def test_otp_wrong_then_right(ca: httpx.AsyncClient, idp: IdpClient) -> None:
    citizen = await idp.citizen()
    _, agreement = await agreement_for(ca, citizen)
    detail = await call(ca, "getCertificateDetailForSignCloud", {"agreementUUID": agreement})
    digest = hashlib.sha256(b"otp").digest()
    started = await call(
        ca, "prepareHashSigningForSignCloud", hash_bill(agreement, digest, 1, secrets.token_hex(8))
    )
    assert started["responseCode"] == 1007 and started["remainingCounter"] == 3
    page = await phone_page(ca, citizen)
    found = re.search(r"<strong class=otp>(\d{6})</strong>", page)
    assert found, page
    otp = found.group(1)
    wrong = "000000" if otp != "000000" else "111111"
    authorize = {"agreementUUID": agreement, "billCode": started["billCode"], "messagingMode": 3}
    refused = await call(
        ca, "authorizeCounterSigningForSignCloud", {**authorize, "authorizeCode": wrong}
    )
    assert (refused["responseCode"], refused["remainingCounter"]) == (1005, 2)
    signed = await call(
        ca, "authorizeCounterSigningForSignCloud", {**authorize, "authorizeCode": otp}
    )
    assert signed["responseCode"] == 0
    verify(detail["certificate"], signed["signatureValue"], digest)


async def test_otp_locks_after_the_last_wrong_attempt(ca: httpx.AsyncClient) -> None:
    _, agreement = await agreement_for(ca)
    started = await call(
        ca,
        "prepareHashSigningForSignCloud",
        hash_bill(agreement, hashlib.sha256(b"lock").digest(), 1, secrets.token_hex(8)),
    )
    authorize = {"agreementUUID": agreement, "billCode": started["billCode"]}
    codes = []
    for _ in range(3):
        answer = await call(
            ca, "authorizeCounterSigningForSignCloud", {**authorize, "authorizeCode": "1"}
        )
        codes.append(answer["responseCode"])
    assert codes == [1005, 1005, 1006]
    polled = await call(ca, "getSignatureValueForSignCloud", authorize)
    assert polled["responseCode"] == 1006


async def test_relying_party_refusals(ca: httpx.AsyncClient) -> None:
    _, agreement = await agreement_for(ca)
    body = {"agreementUUID": agreement}
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad_key = await call(ca, "getCertificateDetailForSignCloud", body, key=stranger)
    assert bad_key["responseCode"] == 1002
    stale = int((time.time() - 600) * 1000)
    assert (await call(ca, "getCertificateDetailForSignCloud", body, at_ms=stale))[
        "responseCode"
    ] == 1003
    wrong = await call(ca, "getCertificateDetailForSignCloud", body, password="guess")
    assert wrong["responseCode"] == 1001
    response = await ca.post(f"{API}/getCertificateDetailForSignCloud", json=body)
    assert response.json()["responseCode"] == 1001


async def test_revoked_certificate_is_refused(ca: httpx.AsyncClient) -> None:
    user_id, agreement = await agreement_for(ca)
    assert (await ca.post(f"/sandbox/users/{user_id}/revoke")).status_code == 200
    refused = await call(
        ca,
        "prepareHashSigningForSignCloud",
        hash_bill(agreement, hashlib.sha256(b"r").digest(), 3, secrets.token_hex(8)),
    )
    assert refused["responseCode"] == 1011
