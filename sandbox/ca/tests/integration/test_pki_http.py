"""OCSP, CRL and TSA over HTTP, checked with cryptography, asn1crypto, pyHanko and OpenSSL."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from pathlib import Path

import httpx
import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

pytestmark = pytest.mark.integration
SP = {"sp_id": "hoso-sp", "sp_password": "hoso-sp-secret"}


def citizen_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


async def run(*command: str | Path) -> str:
    """A child process that does not block the loop serving the CA it talks to."""
    process = await asyncio.create_subprocess_exec(
        *map(str, command), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def enrolled_certificate(ca: httpx.AsyncClient, user_id: str) -> x509.Certificate:
    response = await ca.post("/sandbox/users", json={"user_id": user_id, "name": "Phạm Thị Dung"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Phạm Thị Dung"
    again = await ca.post("/sandbox/users", json={"user_id": user_id, "name": "Tên khác"})
    assert (
        again.status_code == 200
        and again.json()["serial_number"] == response.json()["serial_number"]
    )
    return x509.load_pem_x509_certificate(response.json()["certificate_pem"].encode())


async def ask_ocsp(
    ca: httpx.AsyncClient, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPResponse:
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    response = await ca.post(
        "/pki/ocsp",
        content=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    parsed = ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert parsed.serial_number == cert.serial_number
    return parsed


async def test_ocsp_good_then_revoked_and_crl(ca: httpx.AsyncClient, tmp_path: Path) -> None:
    cert = await enrolled_certificate(ca, user_id := citizen_id())
    issuing = x509.load_der_x509_certificate((await ca.get("/pki/issuing.crt")).content)
    root_pem = (await ca.get("/pki/root.pem")).content
    assert (await ask_ocsp(ca, cert, issuing)).certificate_status is ocsp.OCSPCertStatus.GOOD

    (tmp_path / "root.pem").write_bytes(root_pem)
    (tmp_path / "issuing.pem").write_bytes(issuing.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    openssl_ocsp = (
        "openssl",
        "ocsp",
        "-issuer",
        tmp_path / "issuing.pem",
        "-cert",
        tmp_path / "leaf.pem",
        "-url",
        str(ca.base_url).rstrip("/") + "/pki/ocsp",
        "-CAfile",
        tmp_path / "root.pem",
    )
    good = await run(*openssl_ocsp)
    assert "Response verify OK" in good and "leaf.pem: good" in good

    revoked = await ca.post(f"/sandbox/users/{user_id}/revoke", json={"reason": "key_compromise"})
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    answer = await ask_ocsp(ca, cert, issuing)
    assert answer.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert "leaf.pem: revoked" in await run(*openssl_ocsp)

    crl_response = await ca.get("/pki/issuing.crl")
    assert crl_response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(crl_response.content)
    assert crl.is_signature_valid(issuing.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    root_crl = x509.load_der_x509_crl((await ca.get("/pki/root.crl")).content)
    assert root_crl.get_revoked_certificate_by_serial_number(issuing.serial_number) is None

    # A revoked citizen can no longer sign: VNPT answers 403, Viettel 13004.
    sign = await ca.post(
        "/vnpt/v1/signatures/sign",
        json={
            **SP,
            "user_id": user_id,
            "transaction_id": secrets.token_hex(6),
            "sign_files": [{"data_to_be_signed": "00" * 32, "doc_id": "d"}],
        },
    )
    assert (sign.status_code, sign.json()["message"]) == (403, "CREDENTIAL_STATUS_INVALID")


async def test_ocsp_get_form_and_garbage(ca: httpx.AsyncClient) -> None:
    import base64
    from urllib.parse import quote

    cert = await enrolled_certificate(ca, citizen_id())
    issuing = x509.load_der_x509_certificate((await ca.get("/pki/issuing.crt")).content)
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuing, hashes.SHA256()).build()
    encoded = quote(
        base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode(), safe=""
    )
    answer = ocsp.load_der_ocsp_response((await ca.get(f"/pki/ocsp/{encoded}")).content)
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    garbage = ocsp.load_der_ocsp_response((await ca.post("/pki/ocsp", content=b"junk")).content)
    assert garbage.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


async def test_tsa_token_validates(ca: httpx.AsyncClient, tmp_path: Path) -> None:
    data = secrets.token_bytes(128)
    digest = hashlib.sha256(data).digest()
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": secrets.randbits(63),
            "cert_req": True,
        }
    )
    response = await ca.post(
        "/pki/tsa", content=query.dump(), headers={"Content-Type": "application/timestamp-query"}
    )
    assert response.headers["content-type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(response.content)
    assert reply["status"]["status"].native == "granted"
    token: cms.ContentInfo = reply["time_stamp_token"]

    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate((await ca.get("/pki/root.pem")).content).public_bytes(
            serialization.Encoding.DER
        )
    )
    status = await validate_tst_signed_data(
        token["content"],
        ValidationContext(trust_roots=[root]),
        expected_tst_imprint=lambda _: digest,
    )
    assert status["intact"] and status["valid"], status
    assert status["trust_problem_indic"] is None and status["validation_path"] is not None

    (tmp_path / "query.tsq").write_bytes(query.dump())
    (tmp_path / "reply.tsr").write_bytes(response.content)
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "root.pem").write_bytes((await ca.get("/pki/root.pem")).content)
    verified = await run(
        "openssl",
        "ts",
        "-verify",
        "-data",
        tmp_path / "data.bin",
        "-in",
        tmp_path / "reply.tsr",
        "-CAfile",
        tmp_path / "root.pem",
    )
    assert "Verification: OK" in verified
