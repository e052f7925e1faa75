"""The procedure catalogue is searchable and readable without logging in."""

import httpx
import pytest

pytestmark = pytest.mark.integration


async def test_search_without_login_by_words_without_diacritics(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/procedures", params={"q": "khai sinh"})
    assert response.status_code == 200
    codes = [p["code"] for p in response.json()["items"]]
    assert codes == ["1.001193"]


async def test_search_by_agency(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/procedures", params={"agency": "STP-HNI"})
    items = response.json()["items"]
    assert [p["code"] for p in items] == ["2.000488"]
    assert items[0]["agency"] == {"code": "STP-HNI", "name": "Sở Tư pháp thành phố Hà Nội"}


async def test_read_one_procedure_with_its_components(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/procedures/1.004194")
    assert response.status_code == 200
    procedure = response.json()
    assert procedure["name"] == "Đăng ký thường trú"
    assert procedure["fee"]["amount_vnd"] > 0
    assert procedure["processing_time"]["working_days"] == 7
    ct01 = next(c for c in procedure["components"] if c["code"] == "CT01")
    assert ct01["required"] and ct01["signature_required"]
    assert "eform" in ct01["sources"]
    assert ct01["file_types"] == ["pdf"]


async def test_unknown_procedure_is_404_problem(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/procedures/9.999999")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "procedure_not_found"
