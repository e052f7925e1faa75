"""Template and catalogue endpoints against the running app and the real database."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from hoso_eforms.domain.seed_templates import seed_templates
from hoso_testing.identity import IdpClient

pytestmark = pytest.mark.integration


# to-khai-khai-sinh is the form of procedure 1.001193, run by the commune People's Committee.
KHAI_SINH_AGENCY = "UBND-HNI"
CU_TRU_PROCEDURE = "1.004194"


def random_code() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"


def publishable(**changes: Any) -> dict[str, Any]:
    body = seed_templates()["to-khai-khai-sinh"].model_dump(mode="json", by_alias=True)
    body.update(changes)
    return copy.deepcopy(body)


async def test_seeded_templates_are_listed_and_filtered(eforms: Any) -> None:
    listed = (await eforms.client.get("/v1/templates")).json()
    by_code = {t["code"]: t for t in listed}
    assert {"to-khai-khai-sinh", "to-khai-ly-lich-tu-phap", "ct01-thay-doi-cu-tru"} <= set(by_code)
    assert by_code["to-khai-khai-sinh"]["procedure_code"] == "1.001193"
    filtered = (
        await eforms.client.get("/v1/templates", params={"procedure_code": "2.000488"})
    ).json()
    assert [t["code"] for t in filtered] == ["to-khai-ly-lich-tu-phap"]


async def test_template_latest_and_versions(eforms: Any) -> None:
    latest = await eforms.client.get("/v1/templates/ct01-thay-doi-cu-tru")
    assert latest.status_code == 200
    body = latest.json()
    assert body["schema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["schema"]["properties"]["ho_ten"]["$ref"] == "#/$defs/ho_ten"
    assert body["layout"]["title"] == "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ"
    first = await eforms.client.get("/v1/templates/ct01-thay-doi-cu-tru/versions/1")
    assert first.status_code == 200 and first.json()["version"] == 1
    missing = await eforms.client.get("/v1/templates/ct01-thay-doi-cu-tru/versions/999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert (await eforms.client.get(f"/v1/templates/{random_code()}")).status_code == 404


async def test_publishing_versions_needs_an_officer(eforms: Any, idp: IdpClient) -> None:
    code = random_code()
    officer = await idp.officer(KHAI_SINH_AGENCY)
    citizen = await idp.citizen()
    denied = await eforms.client.post(
        f"/v1/templates/{code}/versions", json=publishable(), headers=citizen.headers
    )
    assert denied.status_code == 403
    assert (
        await eforms.client.post(f"/v1/templates/{code}/versions", json=publishable())
    ).status_code == 401
    first = await eforms.client.post(
        f"/v1/templates/{code}/versions", json=publishable(), headers=officer.headers
    )
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1 and first.json()["published_by"] == officer.sub
    admin = await idp.admin()
    second = await eforms.client.post(
        f"/v1/templates/{code}/versions",
        json=publishable(title="Tờ khai đăng ký khai sinh (sửa đổi)"),
        headers=admin.headers,
    )
    assert second.status_code == 201 and second.json()["version"] == 2
    latest = (await eforms.client.get(f"/v1/templates/{code}")).json()
    assert latest["version"] == 2 and latest["title"] == "Tờ khai đăng ký khai sinh (sửa đổi)"


async def test_only_the_procedures_agency_or_an_admin_publishes(
    eforms: Any, idp: IdpClient
) -> None:
    code = random_code()
    other_agency = await idp.officer("CA-HNI")
    crossed = await eforms.client.post(
        f"/v1/templates/{code}/versions", json=publishable(), headers=other_agency.headers
    )
    assert crossed.status_code == 403, crossed.text
    assert crossed.json()["code"] == "template_not_yours"
    assert (await eforms.client.get(f"/v1/templates/{code}")).status_code == 404

    owner = await idp.officer(KHAI_SINH_AGENCY)
    first = await eforms.client.post(
        f"/v1/templates/{code}/versions", json=publishable(), headers=owner.headers
    )
    assert first.status_code == 201, first.text
    # Nor can the other agency take the code over by naming a procedure of its own.
    moved = await eforms.client.post(
        f"/v1/templates/{code}/versions",
        json=publishable(procedure_code=CU_TRU_PROCEDURE),
        headers=other_agency.headers,
    )
    assert moved.status_code == 403
    unknown = await eforms.client.post(
        f"/v1/templates/{random_code()}/versions",
        json=publishable(procedure_code="9.999999"),
        headers=(await idp.admin()).headers,
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "procedure_unknown"


async def test_a_version_published_by_mistake_is_retired(
    eforms: Any, idp: IdpClient, sample_form: Any
) -> None:
    code = random_code()
    owner = await idp.officer(KHAI_SINH_AGENCY)
    admin = await idp.admin()
    for title in ("Tờ khai đúng", "Tờ khai nhầm"):
        published = await eforms.client.post(
            f"/v1/templates/{code}/versions", json=publishable(title=title), headers=owner.headers
        )
        assert published.status_code == 201, published.text

    other_agency = await idp.officer("CA-HNI")
    citizen = await idp.citizen()
    for stranger in (other_agency, citizen):
        refused = await eforms.client.post(
            f"/v1/templates/{code}/versions/2/retire", headers=stranger.headers
        )
        assert refused.status_code == 403
    assert (await eforms.client.get(f"/v1/templates/{code}")).json()["version"] == 2

    retired = await eforms.client.post(
        f"/v1/templates/{code}/versions/2/retire", headers=owner.headers
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["retired_at"] is not None
    assert (await eforms.client.get(f"/v1/templates/{code}")).json()["title"] == "Tờ khai đúng"
    listed = await eforms.client.get("/v1/templates", params={"procedure_code": "1.001193"})
    assert [(t["version"], t["title"]) for t in listed.json() if t["code"] == code] == [
        (1, "Tờ khai đúng")
    ]
    kept = await eforms.client.get(f"/v1/templates/{code}/versions/2")
    assert kept.status_code == 200 and kept.json()["retired_at"] is not None
    form = await eforms.client.post(
        "/v1/forms",
        json={"template_code": code, "data": sample_form("to-khai-khai-sinh")},
        headers=citizen.headers,
    )
    assert form.status_code == 201 and form.json()["template_version"] == 1

    assert (
        await eforms.client.post(f"/v1/templates/{code}/versions/1/retire", headers=admin.headers)
    ).status_code == 200
    assert (await eforms.client.get(f"/v1/templates/{code}")).status_code == 404
    assert code not in [t["code"] for t in (await eforms.client.get("/v1/templates")).json()]
    again = await eforms.client.post(
        f"/v1/templates/{code}/versions", json=publishable(), headers=owner.headers
    )
    assert again.status_code == 201 and again.json()["version"] == 3


async def test_invalid_templates_are_refused(eforms: Any, idp: IdpClient) -> None:
    admin = await idp.admin()
    body = publishable()
    body["schema"]["additionalProperties"] = True
    response = await eforms.client.post(
        f"/v1/templates/{random_code()}/versions", json=body, headers=admin.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "template_invalid"
    body = publishable()
    body["layout"]["sections"][0]["fields"].append("/khong_co")
    response = await eforms.client.post(
        f"/v1/templates/{random_code()}/versions", json=body, headers=admin.headers
    )
    assert response.status_code == 422 and "/khong_co" in response.json()["detail"]


async def test_forms_keep_the_template_version_they_were_filled_with(
    eforms: Any, idp: IdpClient, sample_form: Any
) -> None:
    code = random_code()
    admin = await idp.admin()
    citizen = await idp.citizen()
    assert (
        await eforms.client.post(
            f"/v1/templates/{code}/versions", json=publishable(), headers=admin.headers
        )
    ).status_code == 201
    data = sample_form("to-khai-khai-sinh")
    created = await eforms.client.post(
        "/v1/forms", json={"template_code": code, "data": data}, headers=citizen.headers
    )
    assert created.status_code == 201 and created.json()["template_version"] == 1
    v2 = publishable()
    v2["schema"]["properties"]["ghi_chu"] = {"type": "string", "title": "Ghi chú", "maxLength": 50}
    v2["schema"]["required"].append("ghi_chu")
    v2["layout"]["sections"][0]["fields"].append("/ghi_chu")
    assert (
        await eforms.client.post(f"/v1/templates/{code}/versions", json=v2, headers=admin.headers)
    ).json()["version"] == 2
    form_id = created.json()["id"]
    updated = await eforms.client.put(
        f"/v1/forms/{form_id}", json={"data": data}, headers=citizen.headers
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["template_version"] == 1
    fresh = await eforms.client.post(
        "/v1/forms", json={"template_code": code, "data": data}, headers=citizen.headers
    )
    assert fresh.status_code == 422
    assert fresh.json()["errors"] == [
        {"pointer": "/data/ghi_chu", "message": "Vui lòng nhập Ghi chú.", "code": "required"}
    ]


async def test_address_catalogue_endpoints(eforms: Any) -> None:
    provinces = await eforms.client.get("/v1/catalogue/provinces")
    assert provinces.status_code == 200
    assert provinces.headers["X-Catalogue-Complete"] == "true"
    assert len(provinces.json()) == 34
    assert {
        "code": "79",
        "name": "Thành phố Hồ Chí Minh",
        "type": "thành phố trực thuộc trung ương",
    } in provinces.json()
    communes = await eforms.client.get("/v1/catalogue/provinces/01/communes")
    assert communes.status_code == 200
    assert communes.headers["X-Catalogue-Complete"] == "true"
    assert {"code": "00070", "name": "Phường Hoàn Kiếm", "type": "phường"} in communes.json()
    missing = await eforms.client.get("/v1/catalogue/provinces/02/communes")
    assert missing.status_code == 404 and missing.json()["code"] == "province_not_found"
