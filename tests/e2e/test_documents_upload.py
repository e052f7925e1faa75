"""Flow 1, storage side: a citizen uploads through the gateway and the vault announces it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import pytest_asyncio

from hoso_common import topics
from hoso_testing.endpoints import Endpoints

pytestmark = pytest.mark.e2e

DOCUMENTS = "/api/documents/v1/documents"


@pytest_asyncio.fixture
async def portal(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=30) as client:
        ready = await client.get("/api/documents/health/ready")
        assert ready.status_code == 200, f"documents is not up (run `make up`): {ready.text}"
        yield client


def _pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {uuid.uuid4().hex}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


async def test_upload_through_the_gateway_announces_document_uploaded(
    portal: httpx.AsyncClient, idp: Any, watch: Any
) -> None:
    citizen = await idp.citizen()
    uploaded = await watch(topics.DOCUMENT_UPLOADED)
    content = _pdf()

    response = await portal.post(
        DOCUMENTS,
        headers=citizen.headers,
        data={"name": "Giấy khai sinh"},
        files={"file": ("Giấy khai sinh.pdf", content, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["status"] == "draft"
    assert document["object"]["sha256"] == hashlib.sha256(content).hexdigest()

    record = await uploaded.wait_for(
        lambda r: r["value"]["data"]["document_id"] == document["id"], timeout_s=30
    )
    assert record["value"]["data"]["owner_id"] == citizen.sub
    assert record["value"]["data"]["object"] == document["object"]

    listed = await portal.get(DOCUMENTS, headers=citizen.headers)
    assert [d["id"] for d in listed.json()["items"]] == [document["id"]]
    saved = await portal.post(f"{DOCUMENTS}/{document['id']}/save", headers=citizen.headers)
    assert saved.status_code == 200 and saved.json()["saved"] is True

    download = await portal.get(f"{DOCUMENTS}/{document['id']}/download", headers=citizen.headers)
    assert download.status_code == 200
    assert download.content == content
    encoded = download.headers["content-disposition"].split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "Giấy khai sinh.pdf"

    stranger = await idp.citizen()
    hidden = await portal.get(f"{DOCUMENTS}/{document['id']}", headers=stranger.headers)
    assert hidden.status_code == 404


async def test_bad_uploads_through_the_gateway_get_problem_details(
    portal: httpx.AsyncClient, idp: Any
) -> None:
    citizen = await idp.citizen()
    mismatch = await portal.post(
        DOCUMENTS,
        headers=citizen.headers,
        data={"name": "Ảnh"},
        files={"file": ("anh.png", _pdf(), "image/png")},
    )
    assert mismatch.status_code == 415
    assert mismatch.headers["content-type"].startswith("application/problem+json")
    empty = await portal.post(
        DOCUMENTS,
        headers=citizen.headers,
        data={"name": "Rỗng"},
        files={"file": ("rong.pdf", b"", "application/pdf")},
    )
    assert empty.status_code == 400
    listed = await portal.get(DOCUMENTS, headers=citizen.headers)
    assert listed.json()["total"] == 0
