"""The shipped address catalogue (34 provinces from 07/2025) and the 54 ethnic groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hoso_eforms.domain.catalogue import AddressCatalogue, CatalogueError, load_ethnic_groups


def test_shipped_catalogue_has_the_34_provinces() -> None:
    catalogue = AddressCatalogue.load()
    provinces = catalogue.provinces()
    assert len(provinces) == 34
    assert len({p.code for p in provinces}) == 34
    cities = [p for p in provinces if p.name.startswith("Thành phố ")]
    assert {c.name for c in cities} == {
        "Thành phố Hà Nội",
        "Thành phố Hồ Chí Minh",
        "Thành phố Hải Phòng",
        "Thành phố Đà Nẵng",
        "Thành phố Cần Thơ",
        "Thành phố Huế",
    }
    assert all(p.name.startswith("Tỉnh ") for p in provinces if p not in cities)
    assert (
        catalogue.province("01") is not None and catalogue.province("01").name == "Thành phố Hà Nội"
    )
    # Merged away on 01/07/2025.
    names = {p.name for p in provinces}
    assert not {"Tỉnh Hà Giang", "Tỉnh Bình Dương", "Tỉnh Quảng Nam", "Tỉnh Kiên Giang"} & names


def test_every_province_has_communes_and_the_subset_is_declared_incomplete() -> None:
    catalogue = AddressCatalogue.load()
    assert catalogue.complete is False
    for province in catalogue.provinces():
        communes = catalogue.communes(province.code)
        assert communes, province.name
        assert len({c.code for c in communes}) == len(communes)
        assert all(c.name.split(" ")[0] in {"Phường", "Xã", "Đặc"} for c in communes)


def test_commune_lookup_is_scoped_by_province() -> None:
    catalogue = AddressCatalogue.load()
    assert catalogue.commune("01", "01001") is not None
    assert catalogue.commune("79", "01001") is None
    assert catalogue.commune_anywhere("01001")
    assert not catalogue.commune_anywhere("99999")
    assert catalogue.communes("99") is None


def test_a_complete_catalogue_of_the_same_shape_loads(tmp_path: Path) -> None:
    document = {
        "name": "Đầy đủ",
        "complete": True,
        "provinces": [
            {
                "code": "01",
                "name": "Thành phố Hà Nội",
                "type": "thành phố trực thuộc trung ương",
                "communes": [{"code": "00004", "name": "Phường Ba Đình", "type": "phường"}],
            }
        ],
    }
    path = tmp_path / "units.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    catalogue = AddressCatalogue.load(path)
    assert catalogue.complete is True
    assert catalogue.commune("01", "00004") is not None
    assert catalogue.commune("01", "01001") is None


def test_a_malformed_catalogue_is_refused() -> None:
    with pytest.raises(CatalogueError):
        AddressCatalogue.from_json({"provinces": [{"name": "no code"}]})
    with pytest.raises(CatalogueError):
        AddressCatalogue.from_json(
            {"provinces": [{"code": "01", "name": "A"}, {"code": "01", "name": "B"}]}
        )


def test_the_54_ethnic_groups() -> None:
    groups = load_ethnic_groups()
    assert len(groups) == 54 == len(set(groups))
    assert groups[0] == "Kinh" and groups[-1] == "Rơ-măm"
    assert {"Tày", "Thái", "Mường", "Khơ-me", "Hoa", "Nùng", "Hmông", "Ê-đê", "Chăm"} <= set(groups)
