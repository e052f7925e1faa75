"""Viettel MySign shape over real HTTP: login, certificates/info, async signHash, status."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from typing import TYPE_CHECKING

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

if TYPE_CHECKING:
    from conftest import StartCa, WebhookReceiver

    from hoso_testing.identity import IdpClient

pytestmark = pytest.mark.integration
CLIENT = {"client_id": "hoso-client", "client_secret": "hoso-client-secret"}
SHA256_OID = "2.16.840.1.101.3.4.2.1"


def citizen_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


async def login(ca: httpx.AsyncClient, user_id: str) -> dict[str, str]:
    response = await ca.post("/viettel/ras/v1/login", json={**CLIENT, "user_id": user_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return {"Authorization": f"Bearer {body['access_token']}"}


async def test_login_info_sign_hash_status_approve(ca: httpx.AsyncClient, idp: IdpClient) -> None:
    citizen = await idp.citizen()
    user_id = str(citizen.citizen_id)
    auth = await login(ca, user_id)
    info = await ca.post(
        "/viettel/ras/v1/certificates/info", json={"user_id": user_id}, headers=auth
    )
    assert info.status_code == 200, info.text
    assert info.json()["status"] == 1
    (credential,) = info.json()["data"]
    chain = [
        x509.load_der_x509_certificate(base64.b64decode(c))
        for c in credential["cert"]["certificates"]
    ]
    chain[0].verify_directly_issued_by(chain[1])
    chain[1].verify_directly_issued_by(chain[2])
    assert chain[2] == x509.load_pem_x509_certificate((await ca.get("/pki/root.pem")).content)
    assert f"CCCD:{user_id}" in credential["cert"]["subject_dn"]

    digest = hashlib.sha256(secrets.token_bytes(16)).digest()
    request_id = secrets.token_hex(8)
    sign_body = {
        "credential_id": credential["credential_id"],
        "client_id": CLIENT["client_id"],
        "hashAlgorithm": SHA256_OID,
        "hashes": [base64.b64encode(digest).decode()],
        "async": 1,
        "description": "Giấy đề nghị cấp bản sao",
        "request_id": request_id,
    }
    started = await ca.post("/viettel/ras/v1/signHash", json=sign_body, headers=auth)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == 1
    transaction_id = started.json()["transaction_id"]
    again = await ca.post("/viettel/ras/v1/signHash", json=sign_body, headers=auth)
    assert again.json()["transaction_id"] == transaction_id

    waiting = await ca.post(
        "/viettel/ras/v1/requests/status", json={"transaction_id": transaction_id}, headers=auth
    )
    assert waiting.json()["status"] == 4000
    assert "signatures" not in waiting.json()

    (pending,) = (await ca.get(f"/phone/{user_id}/requests", headers=citizen.headers)).json()
    assert (pending["provider"], pending["doc_id"], pending["document_name"]) == (
        "viettel-mysign",
        request_id,
        "Giấy đề nghị cấp bản sao",
    )
    approved = await ca.post(f"/phone/requests/{transaction_id}/approve", headers=citizen.headers)
    assert approved.json()["status"] == "signed"

    done = await ca.post(
        "/viettel/ras/v1/requests/status", json={"transaction_id": transaction_id}, headers=auth
    )
    assert done.json()["status"] == 1
    (signature,) = done.json()["signatures"]
    chain[0].public_key().verify(  # type: ignore[union-attr, call-arg]
        base64.b64decode(signature), digest, padding.PKCS1v15(), Prehashed(hashes.SHA256())
    )


async def test_rejected_and_timed_out_codes(
    start_ca: StartCa, hook: WebhookReceiver, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    async with start_ca(request_ttl_s=0.4) as running:
        ca = running.client
        user_id = str(citizen.citizen_id)
        # The first phone call fetches the IdP's keys; done before the 0.4 s clock starts.
        phone = await ca.get(f"/phone/{user_id}/requests", headers=citizen.headers)
        assert phone.status_code == 200
        auth = await login(ca, user_id)
        info = await ca.post(
            "/viettel/ras/v1/certificates/info", json={"user_id": user_id}, headers=auth
        )
        credential_id = info.json()["data"][0]["credential_id"]
        ids = []
        for _ in range(2):
            started = await ca.post(
                "/viettel/ras/v1/signHash",
                json={
                    "credential_id": credential_id,
                    "client_id": "hoso-client",
                    "hashes": [base64.b64encode(bytes(32)).decode()],
                    "async": 1,
                    "description": "X",
                    "request_id": secrets.token_hex(8),
                },
                headers=auth,
            )
            ids.append(started.json()["transaction_id"])
        await ca.post(f"/phone/requests/{ids[0]}/reject", headers=citizen.headers)
        await asyncio.sleep(0.8)
        codes = [
            (
                await ca.post(
                    "/viettel/ras/v1/requests/status", json={"transaction_id": i}, headers=auth
                )
            ).json()["status"]
            for i in ids
        ]
        assert codes == [4002, 4001]
        assert hook.received == {}, "Viettel MySign has no webhook"


async def test_wrong_client_secret_and_bad_tokens(ca: httpx.AsyncClient) -> None:
    user_id = citizen_id()
    wrong = await ca.post(
        "/viettel/ras/v1/login",
        json={"client_id": "hoso-client", "client_secret": "nope", "user_id": user_id},
    )
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "CLIENT_CREDENTIAL_INVALID"
    for headers in ({}, {"Authorization": "Bearer forged.token"}, {"Authorization": "Basic x"}):
        response = await ca.post(
            "/viettel/ras/v1/certificates/info", json={"user_id": user_id}, headers=headers
        )
        assert response.status_code == 401
    auth = await login(ca, user_id)
    other = await ca.post(
        "/viettel/ras/v1/certificates/info", json={"user_id": citizen_id()}, headers=auth
    )
    assert other.status_code == 403


async def test_another_citizens_credential_or_transaction_is_hidden(ca: httpx.AsyncClient) -> None:
    alice, bob = citizen_id(), citizen_id()
    alice_auth, bob_auth = await login(ca, alice), await login(ca, bob)
    info = await ca.post(
        "/viettel/ras/v1/certificates/info", json={"user_id": alice}, headers=alice_auth
    )
    alice_credential = info.json()["data"][0]["credential_id"]
    body = {
        "credential_id": alice_credential,
        "client_id": "hoso-client",
        "hashes": [base64.b64encode(bytes(32)).decode()],
        "async": 1,
        "request_id": secrets.token_hex(8),
    }
    assert (
        await ca.post("/viettel/ras/v1/signHash", json=body, headers=bob_auth)
    ).status_code == 404
    started = await ca.post("/viettel/ras/v1/signHash", json=body, headers=alice_auth)
    status = await ca.post(
        "/viettel/ras/v1/requests/status",
        json={"transaction_id": started.json()["transaction_id"]},
        headers=bob_auth,
    )
    assert status.status_code == 404
