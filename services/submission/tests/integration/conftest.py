"""Integration fixtures: the submission app in-process on the real Kafka, Mongo and S3.

The documents, eforms and signing services are replaced by one small real HTTP app (no
mocks): it serves vault documents and e-forms whose files are real S3 objects, and it
validates signatures by reading the object from S3.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest_asyncio
from fastapi import FastAPI, Header, HTTPException
from pydantic import SecretStr

from hoso_common.capability import VALIDATION_AUDIENCE, CapabilityRefused, verify_capability
from hoso_common.events import (
    ObjectRef,
    SignCompleted,
    new_envelope,
)
from hoso_common.storage import ObjectStorage
from hoso_submission.config import Settings
from hoso_submission.main import create_app
from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.kafka import Publish
from hoso_testing.server import serve_app

SOURCE_BUCKET = "hoso-it-upstream"
SIGNED_MARK = b"%HOSO-TEST-SIGNATURE-OK"
TAMPERED_MARK = b"%HOSO-TEST-SIGNATURE-BROKEN"


def pdf_bytes(*, signed: bool = False, tampered: bool = False, pad: int = 0) -> bytes:
    """A small PDF-looking file; the stub validator reads the marks inside it."""
    body = b"%PDF-1.7\n" + uuid.uuid4().hex.encode() + b"\n" + b"0" * pad
    if signed:
        body += b"\n" + SIGNED_MARK
    if tampered:
        body += b"\n" + TAMPERED_MARK
    return body + b"\n%%EOF\n"


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


CAPABILITY_SECRET = "submission-it-capability-secret"


def _caller(authorization: str | None) -> str:
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401)
    claims = jwt.decode(authorization[7:], options={"verify_signature": False})
    return str(claims["sub"])


@dataclass
class UpstreamStub:
    storage: ObjectStorage
    url: str = ""
    documents: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    forms: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    validations: list[dict[str, Any]] = field(default_factory=list)

    async def _object(self, data: bytes, filename: str, content_type: str) -> dict[str, Any]:
        key = f"{uuid.uuid4().hex}/{filename}"
        await self.storage.put_bytes(SOURCE_BUCKET, key, data, content_type=content_type)
        return {
            "bucket": SOURCE_BUCKET,
            "key": key,
            "version": 1,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "content_type": content_type,
            "filename": filename,
        }

    async def add_document(
        self, owner: TestUser, data: bytes, *, filename: str = "giay-to.pdf"
    ) -> dict[str, Any]:
        content_type = "application/pdf" if data.startswith(b"%PDF") else "image/png"
        stored = await self._object(data, filename, content_type)
        document = {
            "id": uuid.uuid4().hex,
            "name": "Giấy tờ kiểm thử",
            "status": "signed",
            "saved": True,
            "versions": [{"version": 1, "object": stored}],
            "current_version": 1,
        }
        self.documents[document["id"]] = (owner.sub, document)
        return document

    async def add_form(
        self, owner: TestUser, *, template_code: str, signed: bool
    ) -> dict[str, Any]:
        form: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "template_code": template_code,
            "status": "signed" if signed else "draft",
            "signed_pdf": None,
        }
        if signed:
            form["signed_pdf"] = await self._object(
                pdf_bytes(signed=True), "to-khai-da-ky.pdf", "application/pdf"
            )
        self.forms[form["id"]] = (owner.sub, form)
        return form

    def build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/documents/{document_id}")
        async def document(
            document_id: str, authorization: str | None = Header(default=None)
        ) -> dict[str, Any]:
            owner, body = self.documents.get(document_id, ("", {}))
            if owner != _caller(authorization):
                raise HTTPException(404)
            return body

        @app.get("/v1/forms/{form_id}")
        async def form(
            form_id: str, authorization: str | None = Header(default=None)
        ) -> dict[str, Any]:
            owner, body = self.forms.get(form_id, ("", {}))
            if owner != _caller(authorization):
                raise HTTPException(404)
            return body

        @app.post("/v1/validations")
        async def validate(
            ref: dict[str, str], authorization: str | None = Header(default=None)
        ) -> dict[str, Any]:
            caller = _caller(authorization)
            # Like signing: only a capability issued to this caller names the object.
            try:
                grant = verify_capability(
                    CAPABILITY_SECRET,
                    ref.get("capability", ""),
                    audience=VALIDATION_AUDIENCE,
                    subject=caller,
                )
            except CapabilityRefused as refused:
                raise HTTPException(403, refused.reason) from refused
            self.validations.append(
                {"caller": caller, "bucket": grant.bucket, "key": grant.key, "iss": grant.issuer}
            )
            data = await self.storage.read_bytes(grant.bucket, grant.key)
            if SIGNED_MARK not in data:
                return {"signatures": [], "valid": False, "verdict": "Tệp không có chữ ký số."}
            intact = TAMPERED_MARK not in data
            signature = {"signer_name": "CÔNG DÂN KIỂM THỬ", "intact": intact, "trusted": True}
            return {"signatures": [signature], "valid": intact, "verdict": "..."}

        return app


@pytest_asyncio.fixture(scope="session")
async def upstream(storage: ObjectStorage) -> AsyncIterator[UpstreamStub]:
    await storage.ensure_buckets(SOURCE_BUCKET)
    stub = UpstreamStub(storage)
    async with serve_app(stub.build()) as url:
        stub.url = url
        yield stub


@pytest_asyncio.fixture(scope="session")
async def api(
    endpoints: Endpoints, idp: IdpClient, upstream: UpstreamStub
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the submission app served in-process."""
    settings = Settings(
        mongo_database="hoso_submission_it",
        # A group of its own (the stack's submission service reads the same topics), kept
        # from run to run so that a run does not count the earlier runs' events again.
        statistics_group="submission-statistics-it",
        # Its own group: the stack's submission service must not take this app's events.
        consumer_group=f"submission-it-{uuid.uuid4().hex[:8]}",
        result_max_bytes=256 * 1024,
        documents_url=upstream.url,
        eforms_url=upstream.url,
        signing_url=upstream.url,
        object_capability_secret=SecretStr(CAPABILITY_SECRET),
    )
    async with (
        serve_app(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


@pytest_asyncio.fixture
async def citizen(idp: IdpClient) -> TestUser:
    return await idp.citizen()


async def new_draft(api: httpx.AsyncClient, user: TestUser, procedure: str = "2.000488") -> str:
    response = await api.post(
        "/v1/dossiers", json={"procedure_code": procedure}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def upload(
    api: httpx.AsyncClient,
    user: TestUser,
    dossier_id: str,
    code: str,
    data: bytes,
    filename: str = "tep.pdf",
) -> httpx.Response:
    return await api.post(
        f"/v1/dossiers/{dossier_id}/components/{code}/upload",
        files={"file": (filename, data, "application/octet-stream")},
        headers=user.headers,
    )


async def ready_dossier(api: httpx.AsyncClient, user: TestUser) -> str:
    """A Lý lịch tư pháp draft with every required component filled and a signed form."""
    dossier_id = await new_draft(api, user)
    assert (await upload(api, user, dossier_id, "TK", pdf_bytes(signed=True))).status_code == 200
    assert (await upload(api, user, dossier_id, "CCCD", PNG_BYTES, "cccd.png")).status_code == 200
    return dossier_id


async def submit(
    api: httpx.AsyncClient, user: TestUser, dossier_id: str, key: str | None = None
) -> httpx.Response:
    return await api.post(
        f"/v1/dossiers/{dossier_id}/submit",
        headers={**user.headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def sign_result_as_signing_would(
    api: httpx.AsyncClient,
    officer: TestUser,
    dossier_id: str,
    storage: ObjectStorage,
    publish: Publish,
    *,
    signed: bytes | None = None,
) -> dict[str, Any]:
    """Ask for the result's signature, then answer with signing's SignCompleted (signed)."""
    asked = await api.post(f"/v1/dossiers/{dossier_id}/result/sign", headers=officer.headers)
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["result"]["sign_request_id"]
    data = signed or pdf_bytes(signed=True)
    key = f"signed/{request_id}.pdf"
    await storage.put_bytes(SOURCE_BUCKET, key, data, content_type="application/pdf")
    completed = SignCompleted(
        request_id=request_id,
        source="submission",
        source_id=dossier_id,
        status="signed",
        signer_sub=officer.sub,
        signed_object=ObjectRef(
            bucket=SOURCE_BUCKET,
            key=key,
            version=2,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content_type="application/pdf",
            filename="ket-qua.pdf",
        ),
        signature_format="pades",
        signer_name=officer.name,
        signed_at=datetime.now(UTC),
    )
    envelope = new_envelope(completed, source="/hoso/signing")
    await publish(envelope)
    await publish(envelope)  # at least once: a redelivery changes nothing
    for _ in range(240):
        dossier = (await api.get(f"/v1/dossiers/{dossier_id}", headers=officer.headers)).json()
        if dossier["result"]["status"] == "signed":
            return dict(dossier)
        await asyncio.sleep(0.5)
    raise AssertionError(f"the result was never recorded as signed: {dossier['result']}")
