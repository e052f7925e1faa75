"""Sign requests and their results: idempotent SignCompleted, versions, CAdES signatures."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from hoso_common.events import ObjectRef, SignCompleted
from hoso_common.storage import ObjectStorage
from hoso_documents.domain.object_keys import document_prefix

from .conftest import Service
from .samples import PDF, PNG, TRUNCATED_PDF, encrypted_pdf
from .vault_client import envelope, poll_document, publish, upload_ok

pytestmark = pytest.mark.integration

SIGNING_BUCKET = "hoso-signing-it"
SIGNED_AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


async def _signed_object(
    storage: ObjectStorage, data: bytes, *, content_type: str, filename: str
) -> ObjectRef:
    await storage.ensure_buckets(SIGNING_BUCKET)
    key = f"signed/{uuid.uuid4().hex}"
    stored = await storage.put_bytes(SIGNING_BUCKET, key, data, content_type=content_type)
    return ObjectRef(
        bucket=SIGNING_BUCKET,
        key=key,
        version=2,
        sha256=stored.sha256,
        size=stored.size,
        content_type=content_type,
        filename=filename,
    )


def _completed(document: dict[str, Any], **fields: Any) -> SignCompleted:
    base: dict[str, Any] = {
        "request_id": document["signing"]["request_id"],
        "source": "documents",
        "source_id": document["id"],
        "status": "signed",
        "signer_name": "NGUYỄN THỊ KIỂM THỬ",
        "signer_subject": "CN=NGUYỄN THỊ KIỂM THỬ,serialNumber=CCCD:001234567890,C=VN",
        "signer_serial": "1f2e3d4c",
        "signed_at": SIGNED_AT,
    }
    return SignCompleted(**{**base, **fields})


async def _sign_pdf(service: Service, user: Any) -> dict[str, Any]:
    return await upload_ok(
        service.client, user, name="Hợp đồng", sign="true", provider="vnpt-smartca"
    )


async def test_a_redelivered_sign_completed_adds_exactly_one_version(
    service: Service, storage: ObjectStorage, idp: Any, endpoints: Any
) -> None:
    user = await idp.citizen()
    document = await _sign_pdf(service, user)
    signed_pdf = PDF + b"% signature appended incrementally\n%%EOF\n"
    signed = await _signed_object(
        storage, signed_pdf, content_type="application/pdf", filename="hop-dong.pdf"
    )
    event = envelope(
        _completed(document, signed_object=signed, signature_format="pades", pades_level="B-LT")
    )
    await publish(endpoints, event, event)

    done = await poll_document(
        service.client, user, document["id"], lambda d: d["status"] == "signed"
    )
    await asyncio.sleep(3)  # the duplicate is consumed right after the first
    again = await service.client.get(f"/v1/documents/{document['id']}", headers=user.headers)
    final = again.json()
    assert final == done
    assert [v["version"] for v in final["versions"]] == [1, 2]
    v2 = final["versions"][1]
    assert v2["key"].endswith(f"{document['id']}/v2")
    assert v2["bucket"] == service.settings.bucket
    assert v2["sha256"] == hashlib.sha256(signed_pdf).hexdigest()
    assert v2["size"] == len(signed_pdf)
    assert v2["origin"] == "signing"
    signature = v2["signature"]
    assert signature["format"] == "pades"
    assert signature["signer_name"] == "NGUYỄN THỊ KIỂM THỬ"
    assert signature["signer_serial"] == "1f2e3d4c"
    assert signature["signed_at"].startswith("2026-03-04T05:06:07")
    assert signature["provider"] == "vnpt-smartca"
    assert final["signing"] is None
    assert final["current_version"] == 2
    keys = await storage.list_keys(
        service.settings.bucket, document_prefix(user.sub, document["id"])
    )
    assert sorted(k.rsplit("/", 1)[1] for k in keys) == ["v1", "v2"]

    latest = await service.client.get(
        f"/v1/documents/{document['id']}/download", headers=user.headers
    )
    assert latest.content == signed_pdf
    original = await service.client.get(
        f"/v1/documents/{document['id']}/download?version=1", headers=user.headers
    )
    assert original.content == PDF
    missing = await service.client.get(
        f"/v1/documents/{document['id']}/download?version=3", headers=user.headers
    )
    assert missing.status_code == 404


async def test_racing_deliveries_apply_once(
    service: Service, storage: ObjectStorage, idp: Any
) -> None:
    user = await idp.citizen()
    document = await _sign_pdf(service, user)
    signed = await _signed_object(
        storage, PDF + b"%sig\n", content_type="application/pdf", filename="a.pdf"
    )
    result = _completed(document, signed_object=signed, signature_format="pades")
    applied = await asyncio.gather(*(service.vault.record_sign_result(result) for _ in range(4)))
    assert sorted(applied) == [False, False, False, True]
    stored = await service.vault.repository.get(user.sub, document["id"])
    assert stored is not None and [v.version for v in stored.versions] == [1, 2]


async def test_cades_result_adds_a_version_with_a_detached_signature(
    service: Service, storage: ObjectStorage, idp: Any, endpoints: Any
) -> None:
    user = await idp.citizen()
    document = await upload_ok(
        service.client,
        user,
        name="Ảnh CCCD",
        data=PNG,
        filename="cccd.png",
        content_type="image/png",
        sign="true",
        provider="viettel-mysign",
    )
    p7s = b"0\x82\x01\x00fake-cms-signed-data"
    signature = await _signed_object(
        storage, p7s, content_type="application/pkcs7-signature", filename="cccd.png.p7s"
    )
    await publish(
        endpoints,
        envelope(_completed(document, signed_object=signature, signature_format="cades")),
    )
    done = await poll_document(
        service.client, user, document["id"], lambda d: d["status"] == "signed"
    )
    v1, v2 = done["versions"]
    assert v2["version"] == 2
    assert (v2["key"], v2["sha256"], v2["content_type"]) == (
        v1["key"],
        v1["sha256"],
        "image/png",
    )
    detached = v2["signature"]["signature_object"]
    assert v2["signature"]["format"] == "cades"
    assert detached["key"].endswith("/v2.p7s")
    assert detached["sha256"] == hashlib.sha256(p7s).hexdigest()
    part = await service.client.get(
        f"/v1/documents/{document['id']}/download?version=2&part=signature", headers=user.headers
    )
    assert part.status_code == 200
    assert part.content == p7s
    assert "cccd.png.p7s" in part.headers["content-disposition"]
    content = await service.client.get(
        f"/v1/documents/{document['id']}/download?version=2", headers=user.headers
    )
    assert content.content == PNG
    none = await service.client.get(
        f"/v1/documents/{document['id']}/download?version=1&part=signature", headers=user.headers
    )
    assert none.status_code == 404


@pytest.mark.parametrize(
    ("outcome", "detail", "reason"),
    [
        ("rejected", "rejected", "rejected"),
        ("expired", "expired", "expired"),
        ("failed", "provider_service_unavailable", "provider_error"),
        # Found only while signing: the document's own reason, not the CA's.
        ("failed", "encrypted_pdf", "encrypted_pdf"),
        ("failed", "malformed_pdf", "malformed_pdf"),
    ],
)
async def test_failed_signing_records_why_and_allows_a_retry(
    service: Service, idp: Any, endpoints: Any, outcome: str, detail: str, reason: str
) -> None:
    user = await idp.citizen()
    document = await _sign_pdf(service, user)
    await publish(
        endpoints,
        envelope(_completed(document, status=outcome, failure_reason=detail, signed_at=None)),
    )
    failed = await poll_document(
        service.client, user, document["id"], lambda d: d["status"] == "sign_failed"
    )
    assert failed["failure"]["reason"] == reason
    assert failed["failure"]["provider_detail"] == detail
    assert failed["failure"]["message"]
    assert len(failed["versions"]) == 1
    retry = await service.client.post(
        f"/v1/documents/{document['id']}/sign",
        headers=user.headers,
        json={"provider": "viettel-mysign"},
    )
    assert retry.status_code == 202, retry.text
    assert retry.json()["status"] == "signing"
    assert retry.json()["failure"] is None


async def test_signing_twice_at_once_conflicts_and_a_signed_document_signs_again(
    service: Service, storage: ObjectStorage, idp: Any, endpoints: Any
) -> None:
    user = await idp.citizen()
    document = await upload_ok(service.client, user)
    url = f"/v1/documents/{document['id']}/sign"
    first = await service.client.post(url, headers=user.headers, json={"provider": "vnpt-smartca"})
    assert first.status_code == 202
    second = await service.client.post(url, headers=user.headers, json={"provider": "vnpt-smartca"})
    assert second.status_code == 409
    assert second.json()["code"] == "signing_in_progress"
    delete = await service.client.delete(f"/v1/documents/{document['id']}", headers=user.headers)
    assert delete.status_code == 409

    signed = await _signed_object(
        storage, PDF + b"%sig1\n", content_type="application/pdf", filename="a.pdf"
    )
    await publish(
        endpoints,
        envelope(_completed(first.json(), signed_object=signed, signature_format="pades")),
    )
    await poll_document(service.client, user, document["id"], lambda d: d["status"] == "signed")
    again = await service.client.post(url, headers=user.headers, json={"provider": "vnpt-smartca"})
    assert again.status_code == 202
    assert again.json()["signing"]["version"] == 2
    twice = await _signed_object(
        storage, PDF + b"%sig1\n%sig2\n", content_type="application/pdf", filename="a.pdf"
    )
    await publish(
        endpoints,
        envelope(_completed(again.json(), signed_object=twice, signature_format="pades")),
    )
    final = await poll_document(
        service.client, user, document["id"], lambda d: d["current_version"] == 3
    )
    assert [v["version"] for v in final["versions"]] == [1, 2, 3]
    assert final["status"] == "signed"


async def test_results_of_other_sources_and_stale_requests_are_ignored(
    service: Service, idp: Any, endpoints: Any
) -> None:
    user = await idp.citizen()
    document = await _sign_pdf(service, user)
    await publish(
        endpoints,
        envelope(_completed(document, source="eforms", status="rejected")),
        envelope(_completed(document, request_id="not-the-pending-one", status="rejected")),
    )
    await asyncio.sleep(3)
    current = await service.client.get(f"/v1/documents/{document['id']}", headers=user.headers)
    assert current.json()["status"] == "signing"


@pytest.mark.parametrize(
    ("data", "reason", "words"),
    [
        (encrypted_pdf(), "encrypted_pdf", "mật khẩu"),
        (TRUNCATED_PDF, "malformed_pdf", "bị hỏng"),
    ],
    ids=["encrypted", "truncated"],
)
async def test_an_unsignable_pdf_is_refused_when_signing_is_asked(
    service: Service, idp: Any, data: bytes, reason: str, words: str
) -> None:
    user = await idp.citizen()
    document = await upload_ok(service.client, user, data=data)
    response = await service.client.post(
        f"/v1/documents/{document['id']}/sign",
        headers=user.headers,
        json={"provider": "vnpt-smartca"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["code"], problem["reason"]) == ("document_unsignable", reason)
    assert words in problem["detail"]
    unchanged = await service.client.get(f"/v1/documents/{document['id']}", headers=user.headers)
    assert unchanged.json()["status"] == "draft"
    assert unchanged.json()["signing"] is None
