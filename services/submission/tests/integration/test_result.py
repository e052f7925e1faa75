"""The dossier's result through the submission API: who may attach and sign it, the same upload
checks as components, and "Hoàn thành" only with a valid signed result."""

from __future__ import annotations

import httpx
import pytest

from hoso_common.storage import ObjectStorage
from hoso_testing.identity import IdpClient, TestUser, random_citizen_id
from hoso_testing.kafka import Publish
from hoso_testing.signing.pdfs import build_pdf, encrypt_pdf

from .conftest import (
    PNG_BYTES,
    pdf_bytes,
    ready_dossier,
    sign_result_as_signing_would,
    submit,
)

pytestmark = pytest.mark.integration


async def processing(api: httpx.AsyncClient, citizen: TestUser, officer: TestUser) -> str:
    dossier_id = await ready_dossier(api, citizen)
    assert (await submit(api, citizen, dossier_id)).status_code == 200
    for action in ("accept", "start_processing"):
        response = await api.post(
            f"/v1/dossiers/{dossier_id}/actions", json={"action": action}, headers=officer.headers
        )
        assert response.status_code == 200, response.text
    return dossier_id


async def attach(
    api: httpx.AsyncClient, user: TestUser, dossier_id: str, data: bytes, name: str = "kq.pdf"
) -> httpx.Response:
    return await api.post(
        f"/v1/dossiers/{dossier_id}/result",
        files={"file": (name, data, "application/octet-stream")},
        headers=user.headers,
    )


async def test_only_the_agencys_officers_attach_and_with_the_component_checks(
    api: httpx.AsyncClient, citizen: TestUser, idp: IdpClient
) -> None:
    officer = await idp.officer("STP-HNI", citizen_id=random_citizen_id())
    dossier_id = await processing(api, citizen, officer)
    pdf = build_pdf(title="Ket qua")

    assert (await attach(api, citizen, dossier_id, pdf)).status_code == 403
    stranger = await idp.officer("CA-HNI", citizen_id=random_citizen_id())
    assert (await attach(api, stranger, dossier_id, pdf)).status_code == 404
    signing = await api.post(f"/v1/dossiers/{dossier_id}/result/sign", headers=citizen.headers)
    assert signing.status_code == 403

    for data, name, status, code, reason in [
        (PNG_BYTES, "kq.pdf", 415, "result_file_type", None),
        (pdf, "kq.png", 415, "result_file_type", None),
        (encrypt_pdf(pdf), "kq.pdf", 422, "result_unsignable", "encrypted_pdf"),
        (pdf[: len(pdf) // 3], "kq.pdf", 422, "result_unsignable", "malformed_pdf"),
        (build_pdf(pad_to=300 * 1024), "kq.pdf", 413, "result_file_too_large", None),
        (b"", "kq.pdf", 400, "empty_file", None),
    ]:
        refused = await attach(api, officer, dossier_id, data, name)
        assert refused.status_code == status, (code, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        body = refused.json()
        assert body["code"] == code and body["detail"]
        if reason:
            assert body["reason"] == reason

    # An officer without a personal id has no certificate to sign with.
    no_id = await idp.officer("STP-HNI")
    assert (await attach(api, no_id, dossier_id, pdf)).status_code == 200
    refused = await api.post(f"/v1/dossiers/{dossier_id}/result/sign", headers=no_id.headers)
    assert refused.status_code == 422 and refused.json()["code"] == "signer_id_missing"
    # The citizen sees no result before it is returned.
    mine = await api.get(f"/v1/dossiers/{dossier_id}", headers=citizen.headers)
    assert mine.json()["result"] is None


async def test_complete_needs_a_result_whose_signature_validates(
    api: httpx.AsyncClient,
    citizen: TestUser,
    idp: IdpClient,
    storage: ObjectStorage,
    publish: Publish,
) -> None:
    officer = await idp.officer("STP-HNI", citizen_id=random_citizen_id())
    dossier_id = await processing(api, citizen, officer)

    async def complete() -> httpx.Response:
        return await api.post(
            f"/v1/dossiers/{dossier_id}/actions",
            json={"action": "complete"},
            headers=officer.headers,
        )

    assert (await complete()).json()["code"] == "result_missing"
    assert (await attach(api, officer, dossier_id, build_pdf())).status_code == 200
    assert (await complete()).json()["code"] == "result_not_signed"
    # signing answers with a file changed after it was signed: the validator says so
    await sign_result_as_signing_would(
        api, officer, dossier_id, storage, publish, signed=pdf_bytes(signed=True, tampered=True)
    )
    tampered = await complete()
    assert tampered.status_code == 422 and tampered.json()["code"] == "result_signature_invalid"
    assert "không hợp lệ" in tampered.json()["detail"]

    assert (await attach(api, officer, dossier_id, build_pdf())).status_code == 200
    await sign_result_as_signing_would(api, officer, dossier_id, storage, publish)
    done = await complete()
    assert done.status_code == 200 and done.json()["status"] == 9
    assert done.json()["result"]["check"]["intact"] is True
    late = await attach(api, officer, dossier_id, build_pdf())
    assert late.status_code == 409 and late.json()["code"] == "result_not_editable"
