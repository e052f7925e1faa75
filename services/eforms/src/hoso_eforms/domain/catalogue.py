"""Reference catalogues: administrative units (two-level, from 07/2025) and ethnic groups."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

CATALOGUE_NAME = "Đơn vị hành chính hai cấp (tỉnh, xã) từ 01/07/2025"
# The division types of vietnam-provinces, spelled as the service names them.
PROVINCE_TYPES = {"thành phố trung ương": "thành phố trực thuộc trung ương"}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    type: str


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    type: str
    communes: tuple[Commune, ...] = field(repr=False)


class CatalogueError(ValueError):
    """The catalogue file does not have the expected shape."""


def _nfc(text: Any) -> str:
    return unicodedata.normalize("NFC", str(text))


def _province_name(name: str, division_type: str) -> str:
    """The official name: the package spells provinces without "Tỉnh" (cities keep theirs)."""
    name = _nfc(name)
    if _nfc(division_type) == "tỉnh" and not name.startswith("Tỉnh "):
        return f"Tỉnh {name}"
    return name


class AddressCatalogue:
    """Provinces and their communes/wards under the two-level administration (from 07/2025)."""

    def __init__(
        self, provinces: list[Province], *, complete: bool, name: str = "", basis: str = ""
    ) -> None:
        self.name = name
        self.basis = basis
        self.complete = complete
        self._provinces = {p.code: p for p in provinces}
        if len(self._provinces) != len(provinces):
            raise CatalogueError("duplicate province code")
        self._communes: dict[str, dict[str, Commune]] = {}
        self._province_of: dict[str, str] = {}
        for province in provinces:
            communes = self._communes[province.code] = {}
            for commune in province.communes:
                if commune.code in self._province_of:
                    raise CatalogueError(f"duplicate commune code {commune.code}")
                communes[commune.code] = commune
                self._province_of[commune.code] = province.code
        self._sorted_provinces = sorted(provinces, key=lambda p: p.code)
        self._sorted_communes = {
            code: sorted(communes.values(), key=lambda c: c.code)
            for code, communes in self._communes.items()
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> AddressCatalogue:
        """A catalogue in the service's own shape (see `to_json`)."""
        try:
            provinces = [
                Province(
                    code=str(p["code"]),
                    name=_nfc(p["name"]),
                    type=_nfc(p.get("type", "")),
                    communes=tuple(
                        Commune(
                            code=str(c["code"]), name=_nfc(c["name"]), type=_nfc(c.get("type", ""))
                        )
                        for c in p.get("communes", [])
                    ),
                )
                for p in document["provinces"]
            ]
        except (KeyError, TypeError) as error:
            raise CatalogueError(f"malformed address catalogue: {error!r}") from error
        return cls(
            provinces,
            complete=bool(document.get("complete", False)),
            name=_nfc(document.get("name", "")),
            basis=_nfc(document.get("basis", "")),
        )

    @classmethod
    def from_vietnam_provinces(
        cls, divisions: list[dict[str, Any]], *, version: str, data_version: str
    ) -> AddressCatalogue:
        """The nested divisions of the vietnam-provinces package (integer GSO codes)."""
        try:
            provinces = [
                Province(
                    code=f"{int(p['code']):02d}",
                    name=_province_name(p["name"], p["division_type"]),
                    type=PROVINCE_TYPES.get(p["division_type"], _nfc(p["division_type"])),
                    communes=tuple(
                        Commune(
                            code=f"{int(w['code']):05d}",
                            name=_nfc(w["name"]),
                            type=_nfc(w["division_type"]),
                        )
                        for w in p["wards"]
                    ),
                )
                for p in divisions
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise CatalogueError(f"malformed vietnam-provinces data: {error!r}") from error
        basis = (
            "Nghị quyết 202/2025/QH15 (34 đơn vị hành chính cấp tỉnh); mã đơn vị hành chính "
            f"của Tổng cục Thống kê, theo gói vietnam-provinces {version} "
            f"(dữ liệu ngày {data_version})"
        )
        return cls(provinces, complete=True, name=CATALOGUE_NAME, basis=basis)

    @classmethod
    def load(cls, path: Path | None = None) -> AddressCatalogue:
        """The catalogue file at `path`, or the complete one built from vietnam-provinces."""
        if path is None:
            return default_catalogue()
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def to_json(self) -> dict[str, Any]:
        """The service's own shape, which `from_json` and `load(path)` read."""
        return {
            "name": self.name,
            "basis": self.basis,
            "complete": self.complete,
            "provinces": [
                {
                    "code": p.code,
                    "name": p.name,
                    "type": p.type,
                    "communes": [
                        {"code": c.code, "name": c.name, "type": c.type}
                        for c in self._sorted_communes[p.code]
                    ],
                }
                for p in self._sorted_provinces
            ],
        }

    def provinces(self) -> list[Province]:
        return list(self._sorted_provinces)

    def province(self, code: str) -> Province | None:
        return self._provinces.get(code)

    def communes(self, province_code: str) -> list[Commune] | None:
        communes = self._sorted_communes.get(province_code)
        return None if communes is None else list(communes)

    def commune(self, province_code: str, commune_code: str) -> Commune | None:
        return self._communes.get(province_code, {}).get(commune_code)

    def commune_anywhere(self, commune_code: str) -> bool:
        return commune_code in self._province_of


@cache
def default_catalogue() -> AddressCatalogue:
    """The complete catalogue of vietnam-provinces, read once per process."""
    import vietnam_provinces

    document = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    return AddressCatalogue.from_vietnam_provinces(
        document,
        version=vietnam_provinces.__version__,
        data_version=vietnam_provinces.__data_version__,
    )


def load_ethnic_groups() -> list[str]:
    """The 54 ethnic groups of Viet Nam, in the order of their official codes 01–54."""
    text = (
        resources.files("hoso_eforms.data")
        .joinpath("ethnic_groups.json")
        .read_text(encoding="utf-8")
    )
    return [str(group["name"]) for group in json.loads(text)["groups"]]
