"""Request/response mapping of the VNPT SmartCA and Viettel MySign adapters (fake transport)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from hoso_signing.providers import ProviderError, SignerCertificate
from hoso_signing.providers.viettel import SHA256_OID, ViettelMySignClient
from hoso_signing.providers.vnpt import VnptSmartCAClient

CERT = b"\x30\x82user-cert"
ISSUING = b"\x30\x82issuing"
ROOT = b"\x30\x82root"
SIG = b"\x01" * 256
DIGEST = bytes(range(32))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class FakeCa:
    """Records requests and answers with canned JSON per path."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append((request.url.path, body, dict(request.headers)))
        answer = self.answers[request.url.path]
        if callable(answer):
            answer = answer(body)
        status, payload = answer
        return httpx.Response(status, json=payload)


def vnpt(fake: FakeCa) -> VnptSmartCAClient:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    return VnptSmartCAClient("http://ca/vnpt", "sp", "pw", client=client)


async def test_vnpt_get_certificate_maps_chain() -> None:
    fake = FakeCa(
        {
            "/vnpt/v1/credentials/get_certificate": (
                200,
                {
                    "status_code": 200,
                    "message": "success",
                    "data": {
                        "user_certificates": [
                            {
                                "cert_id": "c1",
                                "cert_data": b64(CERT),
                                "serial_number": "ab12",
                                "chain_data": {"ca_cert": b64(ISSUING), "root_cert": b64(ROOT)},
                            }
                        ]
                    },
                },
            ),
        }
    )
    cert = await vnpt(fake).get_certificate("001099000001")
    assert cert.certificate == CERT
    assert cert.chain == (ISSUING, ROOT)
    assert cert.serial_number == "ab12"
    _, body, _ = fake.requests[0]
    assert body == {"sp_id": "sp", "sp_password": "pw", "user_id": "001099000001"}


async def test_vnpt_sign_sends_hex_digest_and_our_transaction_id() -> None:
    fake = FakeCa(
        {
            "/vnpt/v1/signatures/sign": (
                200,
                {
                    "status_code": 200,
                    "message": "sig_wait_for_user_confirm",
                    "data": {"transaction_id": "CA-1", "tran_code": "X7"},
                },
            ),
        }
    )
    cert = SignerCertificate("vnpt-smartca", "001099000001", CERT, (ISSUING,), "ab12")
    ticket = await vnpt(fake).sign_hash(
        certificate=cert,
        request_id="req-1",
        digest=DIGEST,
        document_name="Tờ khai",
        file_type="pdf",
    )
    assert (ticket.transaction_id, ticket.code) == ("CA-1", "X7")
    _, body, _ = fake.requests[0]
    assert body["transaction_id"] == "req-1"
    assert body["sign_files"] == [
        {
            "data_to_be_signed": DIGEST.hex(),
            "doc_id": "req-1",
            "file_type": "pdf",
            "sign_type": "hash",
        }
    ]


async def test_vnpt_status_and_webhook_mapping() -> None:
    fake = FakeCa(
        {
            "/vnpt/v1/signatures/sign/CA-1/status": (
                200,
                {
                    "status_code": 200,
                    "message": "SUCCESS",
                    "data": {
                        "transaction_id": "CA-1",
                        "tran_status": "signed",
                        "signatures": [{"doc_id": "req-1", "signature_value": b64(SIG)}],
                    },
                },
            ),
            "/vnpt/v1/signatures/sign/CA-2/status": (
                200,
                {
                    "status_code": 200,
                    "message": "WAITING_FOR_SIGNER_CONFIRM",
                    "data": {"transaction_id": "CA-2", "tran_status": "wait"},
                },
            ),
        }
    )
    client = vnpt(fake)
    done = await client.get_status(transaction_id="CA-1", user_id="u")
    assert done.outcome == "approved" and done.signature_value == SIG
    waiting = await client.get_status(transaction_id="CA-2", user_id="u")
    assert waiting.outcome == "pending"

    hook = client.parse_webhook(
        json.dumps(
            {
                "transaction_id": "CA-3",
                "sp_transaction_id": "req-3",
                "status_code": 4002,
                "status": "rejected",
                "signed_files": [],
            }
        ).encode()
    )
    assert (hook.transaction_id, hook.request_id, hook.answer.outcome) == (
        "CA-3",
        "req-3",
        "rejected",
    )
    with pytest.raises(ProviderError):
        client.parse_webhook(b"not json")


async def test_vnpt_bad_credentials_are_not_retryable() -> None:
    fake = FakeCa(
        {
            "/vnpt/v1/credentials/get_certificate": (
                401,
                {"status_code": 401, "message": "SP_CREDENTIAL_INVALID"},
            )
        }
    )
    with pytest.raises(ProviderError) as error:
        await vnpt(fake).get_certificate("u")
    assert error.value.retryable is False


async def test_vnpt_server_errors_are_retryable() -> None:
    fake = FakeCa({"/vnpt/v1/credentials/get_certificate": (503, {"message": "busy"})})
    with pytest.raises(ProviderError) as error:
        await vnpt(fake).get_certificate("u")
    assert error.value.retryable is True


def viettel(fake: FakeCa, clock: Any = None) -> ViettelMySignClient:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    kwargs = {"clock": clock} if clock else {}
    return ViettelMySignClient("http://ca/viettel", "cid", "csecret", client=client, **kwargs)


def viettel_answers(status_code: int = 1, signatures: list[str] | None = None) -> dict[str, Any]:
    return {
        "/viettel/ras/v1/login": (
            200,
            {"access_token": "tok", "token_type": "Bearer", "expires_in": 3600},
        ),
        "/viettel/ras/v1/certificates/info": (
            200,
            {
                "status": 1,
                "data": [
                    {
                        "credential_id": "cred-1",
                        "cert": {
                            "subject_dn": "CN=A",
                            "serial_number": "ab",
                            "certificates": [b64(CERT), b64(ISSUING), b64(ROOT)],
                        },
                    }
                ],
            },
        ),
        "/viettel/ras/v1/signHash": (200, {"status": 1, "transaction_id": "V-1"}),
        "/viettel/ras/v1/requests/status": (
            200,
            {"status": status_code, "signatures": signatures or []},
        ),
    }


async def test_viettel_logs_in_once_and_caches_the_token_for_an_hour() -> None:
    now = [1000.0]
    fake = FakeCa(viettel_answers())
    client = viettel(fake, clock=lambda: now[0])
    cert = await client.get_certificate("u1")
    assert cert.certificate == CERT and cert.chain == (ISSUING, ROOT)
    assert cert.credential_id == "cred-1"
    await client.get_certificate("u1")
    logins = [r for r in fake.requests if r[0].endswith("/login")]
    assert len(logins) == 1
    assert logins[0][1] == {"client_id": "cid", "client_secret": "csecret", "user_id": "u1"}
    info = [r for r in fake.requests if r[0].endswith("/certificates/info")]
    assert info[0][2]["authorization"] == "Bearer tok"
    now[0] += 3600
    await client.get_certificate("u1")
    assert len([r for r in fake.requests if r[0].endswith("/login")]) == 2


async def test_viettel_sign_hash_is_async_base64_sha256() -> None:
    fake = FakeCa(viettel_answers())
    client = viettel(fake)
    cert = SignerCertificate("viettel-mysign", "u1", CERT, (ISSUING,), "ab", "cred-1")
    ticket = await client.sign_hash(
        certificate=cert,
        request_id="req-9",
        digest=DIGEST,
        document_name="Đơn",
        file_type="other",
    )
    assert ticket.transaction_id == "V-1"
    _, body, _ = next(r for r in fake.requests if r[0].endswith("/signHash"))
    assert body["async"] == 1
    assert body["hashAlgorithm"] == SHA256_OID
    assert body["hashes"] == [b64(DIGEST)]
    assert body["credential_id"] == "cred-1"
    assert body["request_id"] == "req-9"


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (4000, "pending"),
        (6000, "pending"),
        (4001, "expired"),
        (4002, "rejected"),
        (4004, "failed"),
        (13004, "failed"),
    ],
)
async def test_viettel_status_codes(code: int, outcome: str) -> None:
    answer = await viettel(FakeCa(viettel_answers(code))).get_status(
        transaction_id="V-1", user_id="u1"
    )
    assert answer.outcome == outcome


async def test_viettel_signed_status_returns_signature() -> None:
    answer = await viettel(FakeCa(viettel_answers(1, [b64(SIG)]))).get_status(
        transaction_id="V-1", user_id="u1"
    )
    assert answer.outcome == "approved" and answer.signature_value == SIG
