"""Signing on the form side: SignRequested through the outbox, SignCompleted applied once."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from hoso_common import topics
from hoso_common.events import ObjectRef, SignCompleted, new_envelope
from hoso_common.storage import ObjectStorage
from hoso_eforms.domain.forms import FormSignRequest
from hoso_testing import identity
from hoso_testing.identity import IdpClient

pytestmark = pytest.mark.integration

SIGNING_BUCKET = "hoso-signing-it"


async def saved_form(eforms: Any, user: identity.TestUser, sample_form: Any) -> dict[str, Any]:
    response = await eforms.client.post(
        "/v1/forms",
        json={"template_code": "to-khai-khai-sinh", "data": sample_form("to-khai-khai-sinh")},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def put_in_signing(eforms: Any, user: identity.TestUser, form: dict[str, Any]) -> str:
    """The state POST /sign leaves behind, without asking a real CA (no event is emitted)."""
    request_id = uuid.uuid4().hex
    moved = await eforms.forms.start_signing(
        form["id"],
        user.sub,
        form["revision"],
        FormSignRequest(
            request_id=request_id, provider="viettel-mysign", requested_at=datetime.now(UTC)
        ),
        ObjectRef(
            bucket=eforms.settings.bucket,
            key=f"forms/{form['id']}/rendered/test.pdf",
            version=1,
            sha256="0" * 64,
            size=0,
            content_type="application/pdf",
            filename="test.pdf",
        ),
        [],
        datetime.now(UTC),
    )
    assert moved is not None and moved.status == "signing"
    return request_id


async def signed_object(storage: ObjectStorage, content: bytes) -> ObjectRef:
    await storage.ensure_buckets(SIGNING_BUCKET)
    key = f"signed/{uuid.uuid4().hex}.pdf"
    stored = await storage.put_bytes(SIGNING_BUCKET, key, content, content_type="application/pdf")
    return ObjectRef(
        bucket=SIGNING_BUCKET,
        key=key,
        version=2,
        sha256=stored.sha256,
        size=stored.size,
        content_type="application/pdf",
        filename="to-khai-da-ky.pdf",
    )


async def test_sign_stores_the_print_and_emits_sign_requested(
    eforms: Any, idp: IdpClient, sample_form: Any, watch: Any, storage: ObjectStorage
) -> None:
    citizen = await idp.citizen()
    form = await saved_form(eforms, citizen, sample_form)
    printed = (
        await eforms.client.get(f"/v1/forms/{form['id']}/pdf", headers=citizen.headers)
    ).content
    requested = await watch(topics.SIGN_REQUESTED)

    bad = await eforms.client.post(
        f"/v1/forms/{form['id']}/sign", json={"provider": "fpt-ca"}, headers=citizen.headers
    )
    assert bad.status_code == 422
    response = await eforms.client.post(
        f"/v1/forms/{form['id']}/sign", json={"provider": "vnpt-smartca"}, headers=citizen.headers
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "signing"
    assert response.json()["sign_provider"] == "vnpt-smartca"

    record = await requested.wait_for(lambda r: r["value"]["data"]["source_id"] == form["id"])
    envelope = record["value"]
    event = envelope["data"]
    assert envelope["type"] == "vn.hoso.signing.SignRequested"
    assert envelope["source"] == "/hoso/eforms"
    assert record["headers"]["ce_id"] == envelope["id"]
    assert event["request_id"] == response.json()["sign_request_id"]
    assert event["source"] == "eforms"
    assert event["signer_id"] == citizen.citizen_id and event["signer_sub"] == citizen.sub
    assert event["provider"] == "vnpt-smartca"
    assert event["document_name"] == "Tờ khai đăng ký khai sinh"
    obj = event["object"]
    assert obj["bucket"] == "hoso-eforms" and obj["content_type"] == "application/pdf"
    assert obj["sha256"] == hashlib.sha256(printed).hexdigest() and obj["size"] == len(printed)
    assert obj["filename"] == "Tờ khai đăng ký khai sinh.pdf"
    assert await storage.read_bytes(obj["bucket"], obj["key"]) == printed
    assert event["visible_stamp"]["page"] >= 0

    locked = await eforms.client.put(
        f"/v1/forms/{form['id']}", json={"data": form["data"]}, headers=citizen.headers
    )
    assert locked.status_code == 409 and locked.json()["code"] == "form_locked"
    again = await eforms.client.post(
        f"/v1/forms/{form['id']}/sign", json={"provider": "vnpt-smartca"}, headers=citizen.headers
    )
    assert again.status_code == 409
    not_signed = await eforms.client.get(
        f"/v1/forms/{form['id']}/signed-pdf", headers=citizen.headers
    )
    assert not_signed.status_code == 409 and not_signed.json()["code"] == "form_not_signed"

    async with asyncio.timeout(30):
        while (await eforms.forms.collection.find_one({"_id": form["id"]}))["outbox"]:
            await asyncio.sleep(0.2)


async def test_sign_completed_signs_and_freezes_the_form(
    eforms: Any, idp: IdpClient, sample_form: Any, publish: Any, storage: ObjectStorage
) -> None:
    citizen = await idp.citizen()
    form = await saved_form(eforms, citizen, sample_form)
    request_id = await put_in_signing(eforms, citizen, form)
    signed_bytes = b"%PDF-1.7\n" + uuid.uuid4().bytes + b"\n%signed by the sandbox CA\n"
    source = await signed_object(storage, signed_bytes)

    # Another service's outcome for the same id changes nothing here.
    await publish(
        new_envelope(
            SignCompleted(
                request_id=request_id, source="documents", source_id=form["id"], status="rejected"
            ),
            source="/hoso/signing",
        )
    )
    completed = new_envelope(
        SignCompleted(
            request_id=request_id,
            source="eforms",
            source_id=form["id"],
            status="signed",
            signed_object=source,
            signature_format="pades",
            signer_name="NGUYỄN THỊ KIỂM THỬ",
            signer_serial="0a1b2c",
            signed_at=datetime(2025, 7, 4, 9, 0, tzinfo=UTC),
            pades_level="B-LT",
        ),
        source="/hoso/signing",
    )
    await publish(completed)
    body = await eforms.wait_for_status(form["id"], citizen.headers, "signed")
    assert body["signed_pdf"] == {
        "bucket": "hoso-eforms",
        "key": f"forms/{form['id']}/signed/{request_id}.pdf",
        "version": 2,
        "sha256": source.sha256,
        "size": source.size,
        "content_type": "application/pdf",
        "filename": "Tờ khai đăng ký khai sinh (đã ký số).pdf",
    }
    assert body["signature"]["signer_name"] == "NGUYỄN THỊ KIỂM THỬ"
    assert body["signature"]["pades_level"] == "B-LT"

    download = await eforms.client.get(
        f"/v1/forms/{form['id']}/signed-pdf", headers=citizen.headers
    )
    assert download.status_code == 200
    assert download.content == signed_bytes
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")

    frozen = await eforms.client.put(
        f"/v1/forms/{form['id']}", json={"data": form["data"]}, headers=citizen.headers
    )
    assert frozen.status_code == 409 and frozen.json()["code"] == "form_locked"
    assert (
        await eforms.client.post(
            f"/v1/forms/{form['id']}/sign",
            json={"provider": "vnpt-smartca"},
            headers=citizen.headers,
        )
    ).status_code == 409

    # Redelivery and a late contradicting outcome leave the signed form as it is.
    await publish(completed)
    await publish(
        new_envelope(
            SignCompleted(
                request_id=request_id, source="eforms", source_id=form["id"], status="expired"
            ),
            source="/hoso/signing",
        )
    )
    await asyncio.sleep(3)
    again = (await eforms.client.get(f"/v1/forms/{form['id']}", headers=citizen.headers)).json()
    assert again["status"] == "signed" and again["signed_pdf"] == body["signed_pdf"]
    assert again["updated_at"] == body["updated_at"]


@pytest.mark.parametrize(
    ("outcome", "reason", "expected"),
    [
        ("rejected", "Người dùng từ chối trên điện thoại", "bị từ chối"),
        ("expired", None, "hết hạn"),
        ("failed", "CREDENTIAL_STATUS_INVALID", "CREDENTIAL_STATUS_INVALID"),
    ],
)
async def test_failed_signing_leaves_the_form_editable(
    eforms: Any,
    idp: IdpClient,
    sample_form: Any,
    publish: Any,
    outcome: str,
    reason: str | None,
    expected: str,
) -> None:
    citizen = await idp.citizen()
    form = await saved_form(eforms, citizen, sample_form)
    request_id = await put_in_signing(eforms, citizen, form)
    await publish(
        new_envelope(
            SignCompleted(
                request_id=request_id,
                source="eforms",
                source_id=form["id"],
                status=outcome,  # type: ignore[arg-type]
                failure_reason=reason,
            ),
            source="/hoso/signing",
        )
    )
    body = await eforms.wait_for_status(form["id"], citizen.headers, "sign_failed")
    assert expected in body["failure_reason"]
    assert body["signed_pdf"] is None
    missing = await eforms.client.get(f"/v1/forms/{form['id']}/signed-pdf", headers=citizen.headers)
    assert missing.status_code == 409

    data = form["data"]
    data["nguoi_duoc_khai_sinh"]["que_quan"] = "Phường Hội An, Thành phố Đà Nẵng"
    edited = await eforms.client.put(
        f"/v1/forms/{form['id']}", json={"data": data}, headers=citizen.headers
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "saved" and edited.json()["failure_reason"] is None
    assert edited.json()["revision"] == 2
