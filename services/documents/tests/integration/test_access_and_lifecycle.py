"""Access rules, listing, saving, deleting, signature checks and the periodic cleanup."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from hoso_common.storage import ObjectStorage
from hoso_documents.domain.object_keys import document_prefix, version_key
from hoso_documents.service import Vault

from .conftest import Service
from .samples import PDF
from .vault_client import now, owner_keys, upload_ok

pytestmark = pytest.mark.integration


async def test_another_citizen_gets_404_everywhere(service: Service, idp: Any) -> None:
    owner = await idp.citizen()
    stranger = await idp.citizen()
    document = await upload_ok(service.client, owner)
    base = f"/v1/documents/{document['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("GET", f"{base}/versions", None),
        ("GET", f"{base}/download", None),
        ("GET", f"{base}/signatures", None),
        ("POST", f"{base}/sign", {"provider": "vnpt-smartca"}),
        ("POST", f"{base}/save", None),
        ("DELETE", base, None),
    ]:
        response = await service.client.request(method, path, headers=stranger.headers, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "document_not_found"
    listing = await service.client.get("/v1/documents", headers=stranger.headers)
    assert listing.json()["total"] == 0
    still = await service.client.get(base, headers=owner.headers)
    assert still.status_code == 200 and still.json()["status"] == "draft"
    assert still.json()["saved"] is False


async def test_officers_have_no_vault_access(service: Service, idp: Any) -> None:
    owner = await idp.citizen()
    officer = await idp.officer("STP-HNI")
    admin = await idp.admin()
    document = await upload_ok(service.client, owner)
    for user in (officer, admin):
        for method, path in [
            ("GET", "/v1/documents"),
            ("GET", f"/v1/documents/{document['id']}"),
            ("GET", f"/v1/documents/{document['id']}/download"),
        ]:
            response = await service.client.request(method, path, headers=user.headers)
            assert response.status_code == 403, (user.roles, path)
        create = await service.client.post(
            "/v1/documents",
            headers=user.headers,
            data={"name": "x"},
            files={"file": ("a.pdf", PDF, "application/pdf")},
        )
        assert create.status_code == 403
    anonymous = await service.client.get("/v1/documents")
    assert anonymous.status_code == 401


async def test_listing_pages_filters_and_sorts(
    service: Service, idp: Any, storage: ObjectStorage
) -> None:
    user = await idp.citizen()
    first = await upload_ok(service.client, user, name="Một")
    second = await upload_ok(service.client, user, name="Hai", sign="true", provider="vnpt-smartca")
    third = await upload_ok(service.client, user, name="Ba")
    saved = await service.client.post(f"/v1/documents/{third['id']}/save", headers=user.headers)
    assert saved.status_code == 200
    assert saved.json()["saved"] is True and saved.json()["expires_at"] is None
    again = await service.client.post(f"/v1/documents/{third['id']}/save", headers=user.headers)
    assert again.json()["saved_at"] == saved.json()["saved_at"]

    async def names(**params: Any) -> list[str]:
        response = await service.client.get("/v1/documents", headers=user.headers, params=params)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names() == ["Ba", "Hai", "Một"]
    assert await names(order="asc") == ["Một", "Hai", "Ba"]
    assert await names(size=2, page=1) == ["Ba", "Hai"]
    assert await names(size=2, page=2) == ["Một"]
    assert await names(status="signing") == ["Hai"]
    assert await names(status=["draft", "signing"], order="asc") == ["Một", "Hai", "Ba"]
    assert await names(saved="true") == ["Ba"]
    page = await service.client.get("/v1/documents?size=1", headers=user.headers)
    assert page.json()["total"] == 3
    bad = await service.client.get("/v1/documents?status=deleting", headers=user.headers)
    assert bad.status_code == 422
    versions = await service.client.get(
        f"/v1/documents/{first['id']}/versions", headers=user.headers
    )
    assert versions.json()["current_version"] == 1
    assert versions.json()["items"][0]["object"] == first["object"]
    assert second["status"] == "signing"


async def test_delete_removes_metadata_and_objects(
    service: Service, idp: Any, storage: ObjectStorage
) -> None:
    user = await idp.citizen()
    document = await upload_ok(service.client, user)
    assert len(await owner_keys(storage, service.settings.bucket, user)) == 1
    response = await service.client.delete(f"/v1/documents/{document['id']}", headers=user.headers)
    assert response.status_code == 204
    gone = await service.client.get(f"/v1/documents/{document['id']}", headers=user.headers)
    assert gone.status_code == 404
    assert await owner_keys(storage, service.settings.bucket, user) == []


async def test_signature_check_when_signing_is_unreachable(service: Service, idp: Any) -> None:
    user = await idp.citizen()
    document = await upload_ok(service.client, user)
    response = await service.client.get(
        f"/v1/documents/{document['id']}/signatures", headers=user.headers
    )
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "signing_unavailable"
    assert "ký số" in problem["detail"]


async def test_cleanup_removes_expired_drafts_and_orphaned_uploads(
    service: Service, idp: Any, storage: ObjectStorage
) -> None:
    user = await idp.citizen()
    kept = await upload_ok(service.client, user, name="Đã lưu")
    await service.client.post(f"/v1/documents/{kept['id']}/save", headers=user.headers)
    expired = await upload_ok(service.client, user, name="Nháp")
    signing = await upload_ok(
        service.client, user, name="Đang ký", sign="true", provider="vnpt-smartca"
    )

    # An upload whose process died after writing the object but before the metadata.
    orphan_id = expired["id"][::-1]  # an id of the minted shape that names no document
    orphan_key = version_key(user.sub, orphan_id, 1)
    await service.vault.repository.start_upload(
        orphan_id, user.sub, orphan_key, now() - timedelta(hours=1)
    )
    await storage.put_bytes(service.settings.bucket, orphan_key, PDF)
    hidden = await service.client.get(f"/v1/documents/{orphan_id}", headers=user.headers)
    assert hidden.status_code == 404
    listing = await service.client.get("/v1/documents", headers=user.headers)
    assert orphan_id not in [d["id"] for d in listing.json()["items"]]

    async with asyncio.timeout(20):
        # A document leaves only once its events have been published.
        while await service.documents().count_documents(
            {"outbox.0": {"$exists": True}, "owner_id": user.sub}
        ):
            await asyncio.sleep(0.1)
    sweeping = Vault(
        service.vault.repository,
        storage,
        service.settings.model_copy(update={"draft_ttl_s": 0.001, "orphan_upload_age_s": 60}),
    )
    counts = await sweeping.clean_up()
    assert counts["orphan_uploads"] >= 1 and counts["expired_drafts"] >= 1

    ids = {
        d["id"]
        for d in (await service.client.get("/v1/documents", headers=user.headers)).json()["items"]
    }
    assert ids == {kept["id"], signing["id"]}
    keys = await owner_keys(storage, service.settings.bucket, user)
    assert not [k for k in keys if k.startswith(document_prefix(user.sub, expired["id"]))]
    assert orphan_key not in keys
    assert await service.documents().count_documents({"_id": orphan_id}) == 0
    assert await service.documents().count_documents({"_id": expired["id"]}) == 0
