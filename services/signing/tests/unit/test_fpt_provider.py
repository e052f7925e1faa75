"""FPT.eSign adapter against recorded SignCloud answers: one test per responseCode."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hoso_common.sandbox_keys import FPT_DEV_RELYING_PARTY_KEY
from hoso_signing.config import Settings
from hoso_signing.metrics import MeteredProvider
from hoso_signing.providers import OtpAuthorizer, OtpRefused, ProviderError, SignerCertificate
from hoso_signing.providers.fpt import FptESignClient, RelyingParty, agreement_uuid

RECORDED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "recordings" / "fpt_signcloud.json").read_text()
)
BASE = "/fpt/eSignCloud/restapi"
NOW_MS = 1_764_463_200_000
DIGEST = bytes(range(32))
RP = RelyingParty("HOSO", "hoso-rp", "pw", "rp-signature", FPT_DEV_RELYING_PARTY_KEY)


class FakeSignCloud:
    """Answers each function from a queue of recorded bodies, and keeps every request."""

    def __init__(self, answers: dict[str, list[dict[str, Any]]]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        function = request.url.path.removeprefix(BASE + "/")
        self.requests.append((function, json.loads(request.content)))
        return httpx.Response(200, json=self.answers[function].pop(0))


def client(fake: FakeSignCloud, method: str = "mobile") -> FptESignClient:
    return FptESignClient(
        f"http://ca{BASE}",
        RP,
        authorize_method=method,  # type: ignore[arg-type]
        client=httpx.AsyncClient(transport=httpx.MockTransport(fake)),
        clock_ms=lambda: NOW_MS,
    )


def certificate() -> SignerCertificate:
    return SignerCertificate(
        "fpt-esign", "001099000001", b"cert", (), "5a1f", agreement_uuid("001099000001")
    )


def test_credential_data_is_signed_with_the_relying_party_key() -> None:
    data = RP.credential_data(NOW_MS)
    assert (data["username"], data["password"], data["signature"]) == (
        "hoso-rp",
        "pw",
        "rp-signature",
    )
    assert data["timestamp"] == str(NOW_MS)
    key = serialization.load_pem_private_key(FPT_DEV_RELYING_PARTY_KEY.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    key.public_key().verify(
        base64.b64decode(data["pkcs1Signature"]),
        f"hoso-rppwrp-signature{NOW_MS}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


async def test_code_0_certificate_with_chain() -> None:
    fake = FakeSignCloud({"getCertificateDetailForSignCloud": [RECORDED["certificate"]]})
    found = await client(fake).get_certificate("001099000001")
    assert found.certificate == base64.b64decode(RECORDED["certificate"]["certificate"])
    assert len(found.chain) == 2 and found.serial_number == "5a1f"
    function, body = fake.requests[0]
    assert function == "getCertificateDetailForSignCloud"
    assert body["relyingParty"] == "HOSO"
    assert body["agreementUUID"] == agreement_uuid("001099000001") == found.credential_id
    assert body["credentialData"]["timestamp"] == str(NOW_MS)


async def test_code_1004_registers_the_agreement_then_reads_the_certificate() -> None:
    fake = FakeSignCloud(
        {
            "getCertificateDetailForSignCloud": [RECORDED["1004"], RECORDED["certificate"]],
            "prepareCertificateForSignCloud": [RECORDED["agreement_registered"]],
        }
    )
    await client(fake).get_certificate("001099000001")
    assert [f for f, _ in fake.requests] == [
        "getCertificateDetailForSignCloud",
        "prepareCertificateForSignCloud",
        "getCertificateDetailForSignCloud",
    ]
    assert fake.requests[1][1]["agreementDetails"] == {"citizenID": "001099000001"}


@pytest.mark.parametrize("code", ["1001", "1002", "1003"])
async def test_relying_party_refusals_fail_the_call(code: str) -> None:
    fake = FakeSignCloud({"getCertificateDetailForSignCloud": [RECORDED[code]]})
    with pytest.raises(ProviderError) as raised:
        await client(fake).get_certificate("001099000001")
    assert raised.value.code == "relying_party_refused" and not raised.value.retryable


@pytest.mark.parametrize(
    ("code", "reason"),
    [("1011", "certificate_revoked"), ("1012", "certificate_expired"), ("1013", "request_invalid")],
)
async def test_sign_hash_refusals(code: str, reason: str) -> None:
    fake = FakeSignCloud({"prepareHashSigningForSignCloud": [RECORDED[code]]})
    with pytest.raises(ProviderError) as raised:
        await client(fake).sign_hash(
            certificate=certificate(),
            request_id="req-1",
            digest=DIGEST,
            document_name="Hợp đồng",
            file_type="pdf",
        )
    assert raised.value.code == reason


@pytest.mark.parametrize(("code", "method", "number"), [("1007", "mobile", 3), ("1018", "sms", 1)])
async def test_sign_hash_opens_a_bill(code: str, method: str, number: int) -> None:
    fake = FakeSignCloud({"prepareHashSigningForSignCloud": [RECORDED[code]]})
    ticket = await client(fake, method).sign_hash(
        certificate=certificate(),
        request_id="req-1",
        digest=DIGEST,
        document_name="Hợp đồng",
        file_type="pdf",
    )
    assert ticket.transaction_id == "b-1"
    body = fake.requests[0][1]
    assert body["authorizeMethod"] == number and body["relyingPartyBillCode"] == "req-1"
    assert base64.b64decode(body["hash"]) == DIGEST
    assert body["mimeType"] == "application/sha256-binary"


@pytest.mark.parametrize(
    ("code", "outcome", "reason"),
    [
        ("1007", "pending", "waiting"),
        ("1018", "pending", "waiting"),
        ("1005", "pending", "otp_invalid"),
        ("1006", "failed", "otp_attempts_exhausted"),
        ("1008", "failed", "bill_not_found"),
        ("1009", "expired", "expired"),
        ("1010", "rejected", "rejected"),
        ("1011", "failed", "certificate_revoked"),
        ("1012", "failed", "certificate_expired"),
    ],
)
async def test_status_outcomes(code: str, outcome: str, reason: str) -> None:
    fake = FakeSignCloud({"getSignatureValueForSignCloud": [RECORDED[code]]})
    answer = await client(fake).get_status(transaction_id="b-1", user_id="001099000001")
    assert (answer.outcome, answer.reason, answer.signature_value) == (outcome, reason, None)
    assert fake.requests[0][1]["billCode"] == "b-1"


async def test_status_code_0_carries_the_signature() -> None:
    fake = FakeSignCloud({"getSignatureValueForSignCloud": [RECORDED["0"]]})
    answer = await client(fake).get_status(transaction_id="b-1", user_id="001099000001")
    assert answer.outcome == "approved" and answer.signature_value == b"\x01" * 16


async def test_status_with_refused_credentials_raises() -> None:
    fake = FakeSignCloud({"getSignatureValueForSignCloud": [RECORDED["1002"]]})
    with pytest.raises(ProviderError):
        await client(fake).get_status(transaction_id="b-1", user_id="001099000001")


async def test_otp_wrong_then_right() -> None:
    fake = FakeSignCloud({"authorizeCounterSigningForSignCloud": [RECORDED["1005"], RECORDED["0"]]})
    adapter = client(fake, "sms")
    assert isinstance(adapter, OtpAuthorizer) and adapter.uses_otp
    with pytest.raises(OtpRefused) as refused:
        await adapter.authorize_otp(transaction_id="b-1", user_id="001099000001", otp="000000")
    assert refused.value.attempts_left == 2
    answer = await adapter.authorize_otp(transaction_id="b-1", user_id="001099000001", otp="123456")
    assert answer.outcome == "approved"
    assert fake.requests[1][1]["authorizeCode"] == "123456"


async def test_the_metered_wrapper_keeps_the_otp_method() -> None:
    fake = FakeSignCloud({"authorizeCounterSigningForSignCloud": [RECORDED["0"]]})
    metered = MeteredProvider(client(fake, "sms"))
    assert isinstance(metered, OtpAuthorizer) and metered.uses_otp
    answer = await metered.authorize_otp(transaction_id="b-1", user_id="001099000001", otp="1234")
    assert answer.outcome == "approved"
    assert not MeteredProvider(client(FakeSignCloud({}), "mobile")).uses_otp


async def test_otp_lock_is_a_failure() -> None:
    fake = FakeSignCloud({"authorizeCounterSigningForSignCloud": [RECORDED["1006"]]})
    answer = await client(fake, "sms").authorize_otp(
        transaction_id="b-1", user_id="001099000001", otp="1"
    )
    assert (answer.outcome, answer.reason) == ("failed", "otp_attempts_exhausted")


def test_notification_is_parsed() -> None:
    parsed = client(FakeSignCloud({})).parse_webhook(json.dumps(RECORDED["0"]).encode())
    assert (parsed.transaction_id, parsed.request_id) == ("b-1", "req-1")
    assert parsed.answer.outcome == "approved"
    rejected = client(FakeSignCloud({})).parse_webhook(json.dumps(RECORDED["1010"]).encode())
    assert rejected.answer.outcome == "rejected"
    with pytest.raises(ProviderError):
        client(FakeSignCloud({})).parse_webhook(b'{"billCode": "b-1"}')


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(ValueError, match="fpt_relying_party_key"):
        Settings(
            env="production",
            webhook_secret="a-real-webhook-secret",
            fpt_relying_party_password="real-password",
            fpt_relying_party_signature="real-signature",
            s3_secret_key="real-s3-secret",
        )
