"""Reference catalogues shipped with the service: administrative units and ethnic groups."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any


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


class AddressCatalogue:
    """Provinces and their communes/wards under the two-level administration (from 07/2025)."""

    def __init__(self, provinces: list[Province], *, complete: bool, name: str = "") -> None:
        self.name = name
        self.complete = complete
        self._provinces = {p.code: p for p in provinces}
        self._communes = {p.code: {c.code: c for c in p.communes} for p in provinces}
        if len(self._provinces) != len(provinces):
            raise CatalogueError("duplicate province code")

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> AddressCatalogue:
        try:
            provinces = [
                Province(
                    code=str(p["code"]),
                    name=str(p["name"]),
                    type=str(p.get("type", "")),
                    communes=tuple(
                        Commune(
                            code=str(c["code"]), name=str(c["name"]), type=str(c.get("type", ""))
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
            name=str(document.get("name", "")),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> AddressCatalogue:
        """The file at `path`, or the catalogue shipped with the package."""
        if path is not None:
            text = path.read_text(encoding="utf-8")
        else:
            text = (
                resources.files("hoso_eforms.data")
                .joinpath("administrative_units.json")
                .read_text(encoding="utf-8")
            )
        return cls.from_json(json.loads(text))

    def provinces(self) -> list[Province]:
        return sorted(self._provinces.values(), key=lambda p: p.code)

    def province(self, code: str) -> Province | None:
        return self._provinces.get(code)

    def communes(self, province_code: str) -> list[Commune] | None:
        communes = self._communes.get(province_code)
        return None if communes is None else sorted(communes.values(), key=lambda c: c.code)

    def commune(self, province_code: str, commune_code: str) -> Commune | None:
        return self._communes.get(province_code, {}).get(commune_code)

    def commune_anywhere(self, commune_code: str) -> bool:
        return any(commune_code in communes for communes in self._communes.values())


def load_ethnic_groups() -> list[str]:
    """The 54 ethnic groups of Viet Nam, in the order of their official codes 01–54."""
    text = (
        resources.files("hoso_eforms.data")
        .joinpath("ethnic_groups.json")
        .read_text(encoding="utf-8")
    )
    return [str(group["name"]) for group in json.loads(text)["groups"]]
