"""A dossier's returned result kept in the citizen's vault: once per dossier, signed and saved."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from hoso_common.events import DossierResultReturned, ObjectRef
from hoso_common.storage import ObjectStorage

from .conftest import Service
from .samples import PDF

pytestmark = pytest.mark.integration

SOURCE_BUCKET = "hoso-submission-it"


async def returned_event(storage: ObjectStorage, owner_id: str) -> DossierResultReturned:
    """The event submission publishes, with its signed result stored in submission's bucket."""
    await storage.ensure_buckets(SOURCE_BUCKET)
    key = f"dossiers/{uuid.uuid4().hex}/result/signed.pdf"
    await storage.put_bytes(SOURCE_BUCKET, key, PDF, content_type="application/pdf")
    return DossierResultReturned(
        dossier_id=uuid.uuid4().hex,
        receipt_code="STP-HNI-261130-000042",
        procedure_code="2.000488",
        procedure_name="Cấp Phiếu lý lịch tư pháp",
        agency_code="STP-HNI",
        owner_id=owner_id,
        result=ObjectRef(
            bucket=SOURCE_BUCKET,
            key=key,
            version=2,
            sha256=hashlib.sha256(PDF).hexdigest(),
            size=len(PDF),
            content_type="application/pdf",
            filename="ket-qua-giai-quyet-STP-HNI-261130-000042.pdf",
        ),
        signed_by="officer-sub",
        signer_name="LÊ MINH CƯỜNG",
        signed_at=datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        returned_at=datetime.now(UTC),
    )


async def test_the_result_is_kept_once_however_often_it_is_delivered(
    service: Service, idp: Any
) -> None:
    citizen = await idp.citizen()
    event = await returned_event(service.vault.storage, citizen.sub)
    # Two deliveries at once and a late one: one document, one object.
    first, second = await asyncio.gather(
        service.vault.receive_result(event), service.vault.receive_result(event)
    )
    assert (first is None) != (second is None)
    assert await service.vault.receive_result(event) is None

    listing = (await service.client.get("/v1/documents", headers=citizen.headers)).json()
    assert listing["total"] == 1
    [kept] = listing["items"]
    assert kept["status"] == "signed" and kept["saved"] is True and kept["expires_at"] is None
    assert "STP-HNI-261130-000042" in kept["name"]
    version = kept["versions"][0]
    assert version["origin"] == "result" and version["sha256"] == event.result.sha256
    assert version["signature"]["signer_name"] == "LÊ MINH CƯỜNG"
    assert version["signature"]["signed_at"].startswith("2026-11-30T07:00")
    download = await service.client.get(
        f"/v1/documents/{kept['id']}/download", headers=citizen.headers
    )
    assert download.status_code == 200 and download.content == PDF

    # It is the citizen's document, and nobody else's.
    stranger = await idp.citizen()
    seen = await service.client.get(f"/v1/documents/{kept['id']}", headers=stranger.headers)
    assert seen.status_code == 404
