"""Uploading documents: streaming, events, and every kind of bad input leaving nothing behind."""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from hoso_common import topics
from hoso_common.storage import ObjectStorage

from .conftest import MiB, Service
from .samples import DOCX, EXE, JPEG, PDF, PNG, XLSX, XML, plain_zip
from .vault_client import owner_keys, raw_chunked_post, upload, upload_ok

pytestmark = pytest.mark.integration


async def _nothing_left(service: Service, storage: ObjectStorage, user: Any) -> None:
    """Neither metadata (in any state) nor objects remain for this citizen."""
    assert await service.documents().count_documents({"owner_id": user.sub}) == 0
    assert await owner_keys(storage, service.settings.bucket, user) == []


async def test_upload_stores_a_draft_and_announces_it(
    service: Service, idp: Any, watch: Any
) -> None:
    user = await idp.citizen()
    uploaded = await watch(topics.DOCUMENT_UPLOADED)
    document = await upload_ok(service.client, user, name="  Giấy khai sinh  ")
    assert document["status"] == "draft"
    assert document["saved"] is False
    assert document["name"] == "Giấy khai sinh"
    assert document["current_version"] == 1
    version = document["versions"][0]
    assert version["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert version["size"] == len(PDF)
    assert version["content_type"] == "application/pdf"
    assert version["origin"] == "upload"
    assert version["object"] == document["object"]
    assert document["expires_at"] is not None
    record = await uploaded.wait_for(lambda r: r["value"]["data"]["document_id"] == document["id"])
    data = record["value"]["data"]
    assert data["owner_id"] == user.sub
    assert data["object"] == document["object"]
    assert data["sign_requested"] is False
    assert record["headers"]["ce_type"] == "vn.hoso.documents.DocumentUploaded"


async def test_upload_with_signing_requests_a_signature(
    service: Service, idp: Any, watch: Any
) -> None:
    user = await idp.citizen()
    requested = await watch(topics.SIGN_REQUESTED)
    document = await upload_ok(
        service.client,
        user,
        name="Đơn đề nghị",
        sign="true",
        provider="viettel-mysign",
        reason="Xác nhận",
        visible_stamp="true",
    )
    assert document["status"] == "signing"
    assert document["signing"]["provider"] == "viettel-mysign"
    record = await requested.wait_for(lambda r: r["value"]["data"]["source_id"] == document["id"])
    data = record["value"]["data"]
    assert data["request_id"] == document["signing"]["request_id"]
    assert data["source"] == "documents"
    assert data["signer_id"] == user.citizen_id
    assert data["signer_sub"] == user.sub
    assert data["document_name"] == "Đơn đề nghị"
    assert data["object"] == document["object"]
    assert data["reason"] == "Xác nhận"
    assert data["visible_stamp"] is not None


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "expected"),
    [
        (PDF, "a.pdf", "application/pdf", "application/pdf"),
        (
            DOCX,
            "a.docx",
            "application/octet-stream",
            DOCX and "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            XLSX,
            "a.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (JPEG, "a.jpg", "image/jpeg", "image/jpeg"),
        (PNG, "anh", "image/png", "image/png"),
        (XML, "to-khai.xml", "text/xml", "application/xml"),
    ],
)
async def test_every_supported_type_is_accepted(
    service: Service, idp: Any, data: bytes, filename: str, content_type: str, expected: str
) -> None:
    user = await idp.citizen()
    document = await upload_ok(
        service.client, user, data=data, filename=filename, content_type=content_type
    )
    assert document["object"]["content_type"] == expected


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "status", "code"),
    [
        (b"", "a.pdf", "application/pdf", 400, "file_empty"),
        (EXE, "setup.exe", "application/octet-stream", 415, "unsupported_type"),
        (EXE, "hoa-don.pdf", "application/pdf", 415, "unsupported_type"),
        (PDF, "don.docx", "application/octet-stream", 415, "type_mismatch"),
        (PDF, "don.pdf", "image/png", 415, "type_mismatch"),
        (PNG, "anh.jpg", "image/jpeg", 415, "type_mismatch"),
        (plain_zip(), "bang.xlsx", "application/octet-stream", 415, "unsupported_type"),
        (b"<html><body>x</body></html>", "a.xml", "text/xml", 415, "unsupported_type"),
    ],
)
async def test_bad_files_are_refused_and_leave_nothing(
    service: Service,
    storage: ObjectStorage,
    idp: Any,
    data: bytes,
    filename: str,
    content_type: str,
    status: int,
    code: str,
) -> None:
    user = await idp.citizen()
    response = await upload(
        service.client, user, data=data, filename=filename, content_type=content_type
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code
    assert problem["detail"]
    await _nothing_left(service, storage, user)


async def test_bad_fields_are_refused_before_anything_is_stored(
    service: Service, storage: ObjectStorage, idp: Any
) -> None:
    user = await idp.citizen()
    cases: list[tuple[dict[str, str], str]] = [
        ({"name": "   "}, "/name"),
        ({"name": "x" * 300}, "/name"),
        ({"name": "Giấy tờ", "sign": "true"}, "/provider"),
        ({"name": "Giấy tờ", "sign": "true", "provider": "fpt-ca"}, "/provider"),
        ({"name": "Giấy tờ", "sign": "maybe"}, "/sign"),
    ]
    for fields, pointer in cases:
        response = await service.client.post(
            "/v1/documents",
            headers=user.headers,
            data=fields,
            files={"file": ("a.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 422, (fields, response.text)
        assert pointer in [e["pointer"] for e in response.json()["errors"]]
    missing_name = await service.client.post(
        "/v1/documents", headers=user.headers, files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    assert missing_name.status_code == 422
    missing_file = await service.client.post(
        "/v1/documents", headers=user.headers, files={"name": (None, "Không có tệp")}
    )
    assert missing_file.status_code == 400
    assert missing_file.json()["code"] == "file_missing"
    not_multipart = await service.client.post(
        "/v1/documents", headers=user.headers, json={"name": "x"}
    )
    assert not_multipart.status_code == 400
    assert not_multipart.json()["code"] == "malformed_upload"
    await _nothing_left(service, storage, user)


async def test_a_bad_field_after_the_file_removes_the_stored_object(
    service: Service, storage: ObjectStorage, idp: Any
) -> None:
    """The object is fully written, then the metadata step fails: nothing may remain."""
    user = await idp.citizen()
    boundary = "hosoTrailingField"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF * 1000
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
            f"{'x' * 300}\r\n--{boundary}--\r\n"
        ).encode()
    )
    response = await service.client.post(
        "/v1/documents",
        headers={**user.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body,
    )
    assert response.status_code == 422, response.text
    await _nothing_left(service, storage, user)


async def test_fields_after_the_file_are_accepted(service: Service, idp: Any) -> None:
    user = await idp.citizen()
    boundary = "hosoFieldsLast"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
            f"Tên sau tệp\r\n--{boundary}--\r\n"
        ).encode()
    )
    response = await service.client.post(
        "/v1/documents",
        headers={**user.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body,
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Tên sau tệp"


async def test_filenames_are_neutralised_and_vietnamese_names_kept(
    service: Service, idp: Any
) -> None:
    user = await idp.citizen()
    decomposed = unicodedata.normalize("NFD", "..\\..\\etc/Giấy khai\x07 sinh Đỗ Thị Hằng.pdf")
    boundary = "hosoNames"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
            f"{unicodedata.normalize('NFD', 'Hộ chiếu')}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{decomposed}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = await service.client.post(
        "/v1/documents",
        headers={**user.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body,
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["name"] == "Hộ chiếu"
    assert document["object"]["filename"] == "Giấy khai sinh Đỗ Thị Hằng.pdf"
    response = await service.client.get(
        f"/v1/documents/{document['id']}/download", headers=user.headers
    )
    assert response.status_code == 200
    assert response.content == PDF
    disposition = response.headers["content-disposition"]
    assert 'filename="Giay khai sinh Do Thi Hang.pdf"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Giấy khai sinh Đỗ Thị Hằng.pdf"


async def _chunks(total: int, pulled: list[int], piece: int = 256 * 1024) -> AsyncIterator[bytes]:
    boundary = "hosoBig"
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nLớn\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    ).encode()
    block = b"0" * piece
    sent = 0
    while sent < total:
        pulled[0] += piece
        sent += piece
        yield block
    yield f"\r\n--{boundary}--\r\n".encode()


async def test_a_file_over_the_limit_is_refused_while_it_streams(
    small_service: Service, storage: ObjectStorage, idp: Any
) -> None:
    user = await idp.citizen()
    pulled = [0]
    total = 256 * MiB
    status, head = await raw_chunked_post(
        small_service.url,
        "/v1/documents",
        {**user.headers, "Content-Type": "multipart/form-data; boundary=hosoBig"},
        _chunks(total, pulled),
    )
    assert status == 413, head
    assert b"application/problem+json" in head
    # The service stopped reading long before the end (socket buffers hold a little more).
    assert pulled[0] < total // 4
    await _nothing_left(small_service, storage, user)


async def test_an_obviously_too_large_content_length_is_refused_at_once(
    small_service: Service, storage: ObjectStorage, idp: Any
) -> None:
    user = await idp.citizen()
    response = await upload(
        small_service.client, user, data=b"%PDF-1.7\n" + b"0" * (3 * MiB), filename="big.pdf"
    )
    assert response.status_code == 413
    await _nothing_left(small_service, storage, user)


async def test_an_aborted_upload_leaves_nothing(
    service: Service, storage: ObjectStorage, idp: Any
) -> None:
    user = await idp.citizen()

    async def body() -> AsyncIterator[bytes]:
        pulled = [0]
        async for chunk in _chunks(40 * MiB, pulled):
            yield chunk
            if pulled[0] > 10 * MiB:
                raise RuntimeError("the citizen closed the tab")

    with pytest.raises((RuntimeError, httpx.HTTPError)):
        await service.client.post(
            "/v1/documents",
            headers={**user.headers, "Content-Type": "multipart/form-data; boundary=hosoBig"},
            content=body(),
        )
    async with asyncio.timeout(20):
        while True:
            try:
                await _nothing_left(service, storage, user)
                break
            except AssertionError:
                await asyncio.sleep(0.2)
