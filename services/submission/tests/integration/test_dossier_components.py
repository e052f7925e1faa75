"""Drafts and their components: from the computer, from the vault, from a signed e-form."""

import hashlib

import httpx
import pytest

from hoso_common.storage import ObjectStorage
from hoso_submission.config import Settings
from hoso_testing.identity import IdpClient, TestUser

from .conftest import PNG_BYTES, UpstreamStub, new_draft, pdf_bytes, upload

pytestmark = pytest.mark.integration
BUCKET = Settings().bucket


def _component(dossier: dict[str, object], code: str) -> dict[str, object]:
    components = dossier["components"]
    assert isinstance(components, list)
    return next(c for c in components if c["component"] == code)


async def test_nop_ho_so_creates_a_draft_of_the_procedure(
    api: httpx.AsyncClient, citizen: TestUser
) -> None:
    response = await api.post(
        "/v1/dossiers", json={"procedure_code": "1.001193"}, headers=citizen.headers
    )
    assert response.status_code == 201
    dossier = response.json()
    assert dossier["status"] == 0
    assert dossier["status_name"] == "Nháp"
    assert dossier["agency_code"] == "UBND-HNI"
    assert dossier["receipt_code"] is None
    assert dossier["components"] == []


async def test_drafts_need_a_citizen_login_and_a_known_procedure(
    api: httpx.AsyncClient, citizen: TestUser
) -> None:
    assert (await api.post("/v1/dossiers", json={"procedure_code": "2.000488"})).status_code == 401
    response = await api.post(
        "/v1/dossiers", json={"procedure_code": "0.000000"}, headers=citizen.headers
    )
    assert response.status_code == 404


async def test_upload_from_computer_streams_into_storage(
    api: httpx.AsyncClient, citizen: TestUser, storage: ObjectStorage
) -> None:
    dossier_id = await new_draft(api, citizen)
    data = pdf_bytes(pad=300_000)
    response = await upload(api, citizen, dossier_id, "TK", data, "Tờ khai lý lịch.pdf")
    assert response.status_code == 200, response.text
    component = _component(response.json(), "TK")
    assert component["source"] == "upload"
    assert component["filename"] == "Tờ khai lý lịch.pdf"
    assert component["content_type"] == "application/pdf"
    assert component["sha256"] == hashlib.sha256(data).hexdigest()
    assert component["size"] == len(data)

    download = await api.get(
        f"/v1/dossiers/{dossier_id}/components/TK/content", headers=citizen.headers
    )
    assert download.status_code == 200
    assert download.content == data


async def test_replace_then_remove_a_component(
    api: httpx.AsyncClient, citizen: TestUser, storage: ObjectStorage
) -> None:
    dossier_id = await new_draft(api, citizen)
    await upload(api, citizen, dossier_id, "CCCD", PNG_BYTES, "cccd.png")
    first_keys = await storage.list_keys(BUCKET, f"dossiers/{dossier_id}/CCCD/")
    assert len(first_keys) == 1

    replacement = pdf_bytes()
    response = await upload(api, citizen, dossier_id, "CCCD", replacement, "cccd.pdf")
    assert response.status_code == 200
    assert _component(response.json(), "CCCD")["sha256"] == hashlib.sha256(replacement).hexdigest()
    keys = await storage.list_keys(BUCKET, f"dossiers/{dossier_id}/CCCD/")
    assert len(keys) == 1 and keys != first_keys

    response = await api.delete(
        f"/v1/dossiers/{dossier_id}/components/CCCD", headers=citizen.headers
    )
    assert response.status_code == 200
    assert response.json()["components"] == []
    assert await storage.list_keys(BUCKET, f"dossiers/{dossier_id}/CCCD/") == []


async def test_wrong_type_and_lying_extension_are_415(
    api: httpx.AsyncClient, citizen: TestUser
) -> None:
    dossier_id = await new_draft(api, citizen)
    response = await upload(api, citizen, dossier_id, "TK", PNG_BYTES, "to-khai.png")
    assert response.status_code == 415
    assert response.json()["code"] == "component_file_type"
    assert "PDF" in response.json()["detail"]

    response = await upload(api, citizen, dossier_id, "CCCD", PNG_BYTES, "cccd.pdf")
    assert response.status_code == 415
    assert "không khớp" in response.json()["detail"]


async def test_file_over_the_component_limit_is_413_and_not_kept(
    api: httpx.AsyncClient, citizen: TestUser, storage: ObjectStorage
) -> None:
    dossier_id = await new_draft(api, citizen)
    too_big = PNG_BYTES + b"\x00" * (5 * 1024 * 1024)  # CCCD accepts up to 5 MB
    response = await upload(api, citizen, dossier_id, "CCCD", too_big, "cccd.png")
    assert response.status_code == 413
    assert response.json()["code"] == "component_file_too_large"
    assert await storage.list_keys(BUCKET, f"dossiers/{dossier_id}/") == []


async def test_unknown_component_and_wrong_source_are_refused(
    api: httpx.AsyncClient, citizen: TestUser, upstream: UpstreamStub
) -> None:
    dossier_id = await new_draft(api, citizen)
    response = await upload(api, citizen, dossier_id, "XYZ", pdf_bytes())
    assert response.status_code == 404
    form = await upstream.add_form(citizen, template_code="to-khai-ly-lich-tu-phap", signed=True)
    response = await api.post(
        f"/v1/dossiers/{dossier_id}/components/CCCD/eform",
        json={"form_id": form["id"]},
        headers=citizen.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "source_not_accepted"


async def test_vault_document_is_pinned_and_copied(
    api: httpx.AsyncClient, citizen: TestUser, upstream: UpstreamStub, storage: ObjectStorage
) -> None:
    data = pdf_bytes()
    document = await upstream.add_document(citizen, data, filename="Căn cước.pdf")
    pinned = document["versions"][0]["object"]
    dossier_id = await new_draft(api, citizen)

    response = await api.post(
        f"/v1/dossiers/{dossier_id}/components/CCCD/vault",
        json={"document_id": document["id"], "version": 1, "sha256": pinned["sha256"]},
        headers=citizen.headers,
    )
    assert response.status_code == 200, response.text
    component = _component(response.json(), "CCCD")
    assert component["source"] == "vault"
    assert component["document_id"] == document["id"]
    assert component["document_version"] == 1
    assert component["sha256"] == pinned["sha256"]
    keys = await storage.list_keys(BUCKET, f"dossiers/{dossier_id}/CCCD/")
    assert len(keys) == 1
    assert await storage.read_bytes(BUCKET, keys[0]) == data


async def test_vault_document_with_other_hash_or_version_is_refused(
    api: httpx.AsyncClient, citizen: TestUser, upstream: UpstreamStub
) -> None:
    document = await upstream.add_document(citizen, pdf_bytes())
    dossier_id = await new_draft(api, citizen)
    url = f"/v1/dossiers/{dossier_id}/components/CCCD/vault"
    response = await api.post(
        url,
        json={"document_id": document["id"], "version": 1, "sha256": "0" * 64},
        headers=citizen.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "document_version_mismatch"
    sha = document["versions"][0]["object"]["sha256"]
    response = await api.post(
        url,
        json={"document_id": document["id"], "version": 2, "sha256": sha},
        headers=citizen.headers,
    )
    assert response.status_code == 404


async def test_another_citizens_vault_document_cannot_be_attached(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient, upstream: UpstreamStub
) -> None:
    other = await idp.citizen()
    document = await upstream.add_document(other, pdf_bytes())
    dossier_id = await new_draft(api, citizen)
    response = await api.post(
        f"/v1/dossiers/{dossier_id}/components/CCCD/vault",
        json={
            "document_id": document["id"],
            "version": 1,
            "sha256": document["versions"][0]["object"]["sha256"],
        },
        headers=citizen.headers,
    )
    assert response.status_code == 404


async def test_only_a_signed_eform_of_the_right_template_is_attached(
    api: httpx.AsyncClient, citizen: TestUser, upstream: UpstreamStub
) -> None:
    dossier_id = await new_draft(api, citizen)
    url = f"/v1/dossiers/{dossier_id}/components/TK/eform"
    draft_form = await upstream.add_form(
        citizen, template_code="to-khai-ly-lich-tu-phap", signed=False
    )
    response = await api.post(url, json={"form_id": draft_form["id"]}, headers=citizen.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "eform_not_signed"

    other_template = await upstream.add_form(
        citizen, template_code="to-khai-khai-sinh", signed=True
    )
    response = await api.post(url, json={"form_id": other_template["id"]}, headers=citizen.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "eform_template_mismatch"

    form = await upstream.add_form(citizen, template_code="to-khai-ly-lich-tu-phap", signed=True)
    response = await api.post(url, json={"form_id": form["id"]}, headers=citizen.headers)
    assert response.status_code == 200, response.text
    component = _component(response.json(), "TK")
    assert component["source"] == "eform"
    assert component["form_id"] == form["id"]
    assert component["sha256"] == form["signed_pdf"]["sha256"]


async def test_another_citizen_sees_nothing_of_a_draft(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    other = await idp.citizen()
    dossier_id = await new_draft(api, citizen)
    assert (await api.get(f"/v1/dossiers/{dossier_id}", headers=other.headers)).status_code == 404
    response = await upload(api, other, dossier_id, "CCCD", PNG_BYTES, "x.png")
    assert response.status_code == 404
    response = await api.delete(f"/v1/dossiers/{dossier_id}/components/CCCD", headers=other.headers)
    assert response.status_code == 404
    officer = await idp.officer("STP-HNI")
    # Officers see dossiers only once they are submitted.
    assert (await api.get(f"/v1/dossiers/{dossier_id}", headers=officer.headers)).status_code == 404
