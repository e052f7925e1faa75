"""The address catalogue (34 provinces, 3,321 communes from 07/2025) and the 54 ethnic groups."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import vietnam_provinces

from hoso_eforms.config import Settings
from hoso_eforms.domain.catalogue import (
    AddressCatalogue,
    CatalogueError,
    Commune,
    load_ethnic_groups,
)
from hoso_eforms.domain.seed_templates import seed_templates
from hoso_eforms.domain.validation import FormValidator

Sample = Callable[[str], dict[str, Any]]
CATALOGUE = AddressCatalogue.load()
CITY = "thành phố trực thuộc trung ương"


def all_communes(catalogue: AddressCatalogue) -> list[tuple[str, Commune]]:
    return [
        (province.code, commune)
        for province in catalogue.provinces()
        for commune in catalogue.communes(province.code) or []
    ]


def test_the_shipped_catalogue_is_complete() -> None:
    assert CATALOGUE.complete is True
    assert len(CATALOGUE.provinces()) == 34
    assert len(all_communes(CATALOGUE)) == 3321
    for province in CATALOGUE.provinces():
        assert CATALOGUE.communes(province.code), province.name


def test_it_names_its_basis_and_source() -> None:
    assert "01/07/2025" in CATALOGUE.name
    for text in ("Nghị quyết 202/2025/QH15", "Tổng cục Thống kê", "vietnam-provinces 2025.10.1"):
        assert text in CATALOGUE.basis
    assert "2025-10-18" in CATALOGUE.basis


def test_codes_are_unique_and_official_in_shape() -> None:
    provinces = CATALOGUE.provinces()
    assert all(re.fullmatch(r"[0-9]{2}", p.code) for p in provinces)
    assert len({p.code for p in provinces}) == 34
    communes = all_communes(CATALOGUE)
    assert all(re.fullmatch(r"[0-9]{5}", c.code) for _, c in communes)
    assert len({c.code for _, c in communes}) == 3321


def test_every_unit_of_the_package_is_there_under_its_zero_padded_code() -> None:
    divisions = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text("utf-8"))
    for raw in divisions:
        province = CATALOGUE.province(str(raw["code"]).zfill(2))
        assert province is not None
        expected = raw["name"] if raw["division_type"] != "tỉnh" else f"Tỉnh {raw['name']}"
        assert province.name == expected
        for ward in raw["wards"]:
            commune = CATALOGUE.commune(province.code, str(ward["code"]).zfill(5))
            assert commune is not None and commune.name == ward["name"]


def test_the_six_cities_and_28_provinces() -> None:
    provinces = CATALOGUE.provinces()
    assert {p.name for p in provinces if p.type == CITY} == {
        "Thành phố Hà Nội",
        "Thành phố Hồ Chí Minh",
        "Thành phố Hải Phòng",
        "Thành phố Đà Nẵng",
        "Thành phố Cần Thơ",
        "Thành phố Huế",
    }
    assert Counter(p.type for p in provinces) == {"tỉnh": 28, CITY: 6}
    assert all(p.name.startswith("Tỉnh ") for p in provinces if p.type == "tỉnh")
    # Merged away on 01/07/2025.
    names = {p.name.removeprefix("Tỉnh ") for p in provinces}
    assert not {"Hà Giang", "Bình Dương", "Quảng Nam", "Kiên Giang", "Bà Rịa - Vũng Tàu"} & names
    assert CATALOGUE.province("02") is None


def test_communes_wards_and_special_zones() -> None:
    communes = [c for _, c in all_communes(CATALOGUE)]
    assert Counter(c.type for c in communes) == {"xã": 2621, "phường": 687, "đặc khu": 13}
    for commune in communes:
        assert commune.name.startswith(commune.type.capitalize() + " "), commune


def test_names_are_nfc() -> None:
    names = [p.name for p in CATALOGUE.provinces()] + [c.name for _, c in all_communes(CATALOGUE)]
    assert all(unicodedata.is_normalized("NFC", name) for name in names)


@pytest.mark.parametrize(
    ("province_code", "commune_code", "name", "kind"),
    [
        ("01", "00070", "Phường Hoàn Kiếm", "phường"),
        ("01", "00073", "Phường Cửa Nam", "phường"),
        ("01", "00004", "Phường Ba Đình", "phường"),
        ("79", "26740", "Phường Sài Gòn", "phường"),
        ("79", "26732", "Đặc khu Côn Đảo", "đặc khu"),
        ("91", "31078", "Đặc khu Phú Quốc", "đặc khu"),
        ("46", "19786", "Phường Thuận Hóa", "phường"),
    ],
)
def test_known_units(province_code: str, commune_code: str, name: str, kind: str) -> None:
    assert CATALOGUE.commune(province_code, commune_code) == Commune(commune_code, name, kind)


def test_known_provinces() -> None:
    hanoi, hcmc, an_giang = (CATALOGUE.province(code) for code in ("01", "79", "91"))
    assert hanoi is not None and (hanoi.name, hanoi.type) == ("Thành phố Hà Nội", CITY)
    assert hcmc is not None and (hcmc.name, hcmc.type) == ("Thành phố Hồ Chí Minh", CITY)
    assert an_giang is not None and an_giang.name.endswith("An Giang") and an_giang.type == "tỉnh"


def test_commune_lookup_is_scoped_by_province() -> None:
    assert CATALOGUE.commune("01", "00070") is not None
    assert CATALOGUE.commune("79", "00070") is None
    assert CATALOGUE.commune("01", "70") is None
    assert CATALOGUE.commune_anywhere("00070")
    assert not CATALOGUE.commune_anywhere("99999")
    assert CATALOGUE.communes("99") is None


def test_the_default_catalogue_is_read_once() -> None:
    assert AddressCatalogue.load() is AddressCatalogue.load()


def address_messages(sample_form: Sample, province: str, commune: str) -> dict[str, str]:
    schema = seed_templates()["to-khai-khai-sinh"].form_schema
    validator = FormValidator(schema, CATALOGUE, today=lambda: date(2025, 11, 1))
    data = sample_form("to-khai-khai-sinh")
    data["me"]["noi_cu_tru"].update(tinh_thanh=province, xa_phuong=commune)
    return {e.pointer: e.message for e in validator.errors(data)}


def test_validation_accepts_real_units(sample_form: Sample) -> None:
    assert address_messages(sample_form, "91", "31078") == {}
    assert address_messages(sample_form, "01", "00073") == {}


@pytest.mark.parametrize(
    ("province", "commune", "message"),
    [
        ("02", "00070", "Tỉnh/thành phố không có trong danh mục tỉnh, thành phố."),
        ("1", "00070", "Tỉnh/thành phố không có trong danh mục tỉnh, thành phố."),
        ("79", "31078", "Xã/phường/đặc khu không thuộc tỉnh, thành phố đã chọn."),
        ("01", "26740", "Xã/phường/đặc khu không thuộc tỉnh, thành phố đã chọn."),
        ("01", "70", "Xã/phường/đặc khu không có trong danh mục xã, phường."),
        ("01", "01001", "Xã/phường/đặc khu không có trong danh mục xã, phường."),
    ],
)
def test_validation_rejects_unknown_or_misplaced_units(
    sample_form: Sample, province: str, commune: str, message: str
) -> None:
    field = "tinh_thanh" if message.startswith("Tỉnh") else "xa_phuong"
    assert address_messages(sample_form, province, commune) == {
        f"/data/me/noi_cu_tru/{field}": message
    }


OVERRIDE = {
    "name": "Danh mục thử",
    "complete": False,
    "provinces": [
        {
            "code": "01",
            "name": "Thành phố Hà Nội",
            "type": CITY,
            "communes": [{"code": "00004", "name": "Phường Ba Đình", "type": "phường"}],
        }
    ],
}


def test_a_catalogue_file_in_the_service_shape_overrides_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "units.json"
    path.write_text(json.dumps(OVERRIDE, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("HOSO_EFORMS_ADDRESS_CATALOGUE_PATH", str(path))
    catalogue = AddressCatalogue.load(Settings().address_catalogue_path)
    assert catalogue.complete is False and catalogue.name == "Danh mục thử"
    assert [p.code for p in catalogue.provinces()] == ["01"]
    assert catalogue.commune("01", "00004") is not None
    assert catalogue.commune("01", "00070") is None


def test_the_default_catalogue_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "units.json"
    path.write_text(json.dumps(CATALOGUE.to_json(), ensure_ascii=False), encoding="utf-8")
    copy = AddressCatalogue.load(path)
    assert copy is not CATALOGUE
    assert copy.to_json() == CATALOGUE.to_json()
    assert copy.complete is True and copy.basis == CATALOGUE.basis


def test_names_read_from_a_file_are_made_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Phường Hoàn Kiếm")
    commune = {"code": "00070", "name": decomposed}
    catalogue = AddressCatalogue.from_json(
        {"provinces": [{"code": "01", "name": "Hà Nội", "communes": [commune]}]}
    )
    found = catalogue.commune("01", "00070")
    assert found is not None and found.name == "Phường Hoàn Kiếm"


def test_a_malformed_catalogue_is_refused() -> None:
    with pytest.raises(CatalogueError):
        AddressCatalogue.from_json({"provinces": [{"name": "no code"}]})
    with pytest.raises(CatalogueError):
        AddressCatalogue.from_json(
            {"provinces": [{"code": "01", "name": "A"}, {"code": "01", "name": "B"}]}
        )
    with pytest.raises(CatalogueError):
        AddressCatalogue.from_json(
            {
                "provinces": [
                    {"code": "01", "name": "A", "communes": [{"code": "00070", "name": "X"}]},
                    {"code": "79", "name": "B", "communes": [{"code": "00070", "name": "Y"}]},
                ]
            }
        )
    with pytest.raises(CatalogueError):
        AddressCatalogue.from_vietnam_provinces(
            [{"code": 1, "name": "A", "division_type": "tỉnh"}], version="x", data_version="y"
        )


def test_the_54_ethnic_groups() -> None:
    groups = load_ethnic_groups()
    assert len(groups) == 54 == len(set(groups))
    assert groups[0] == "Kinh" and groups[-1] == "Rơ-măm"
    assert {"Tày", "Thái", "Mường", "Khơ-me", "Hoa", "Nùng", "Hmông", "Ê-đê", "Chăm"} <= set(groups)
