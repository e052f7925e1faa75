"""The seeded templates: valid 2020-12 schemas with Vietnamese labels and sound layouts."""

from __future__ import annotations

from typing import Any

import pytest

from hoso_eforms.domain.schema_walk import parse_pointer, subschema
from hoso_eforms.domain.seed_templates import seed_templates
from hoso_eforms.domain.templates import LayoutSection, check_template
from hoso_eforms.domain.validation import SchemaProblem

TEMPLATES = seed_templates()


def test_three_real_declarations_are_seeded() -> None:
    assert {code: t.procedure_code for code, t in TEMPLATES.items()} == {
        "to-khai-khai-sinh": "1.001193",
        "to-khai-ly-lich-tu-phap": "2.000488",
        "ct01-thay-doi-cu-tru": "1.004194",
    }


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_seed_templates_are_publishable(code: str) -> None:
    template = TEMPLATES[code]
    check_template(template)
    assert template.form_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _leaves(schema: dict[str, Any], path: list[str]) -> list[list[str]]:
    node = subschema(schema, path) or {}
    if node.get("type") == "object" and "properties" in node:
        return [leaf for name in node["properties"] for leaf in _leaves(schema, [*path, name])]
    if node.get("type") == "array":
        return [path, *_leaves(schema, [*path, "0"])]
    return [path]


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_every_field_has_a_vietnamese_label(code: str) -> None:
    schema = TEMPLATES[code].form_schema
    for path in _leaves(schema, []):
        node = subschema(schema, path)
        assert node is not None and node.get("title"), path


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_layout_prints_every_top_level_field(code: str) -> None:
    template = TEMPLATES[code]
    printed = {parse_pointer(p)[0] for p in template.layout.pointers()}
    assert printed == set(template.form_schema["properties"])


def test_layout_pointing_to_an_unknown_field_is_refused() -> None:
    template = TEMPLATES["to-khai-khai-sinh"].model_copy(deep=True)
    template.layout.sections.append(LayoutSection(fields=["/khong_ton_tai"]))
    with pytest.raises(SchemaProblem, match="/khong_ton_tai"):
        check_template(template)


def test_open_or_invalid_schemas_are_refused() -> None:
    template = TEMPLATES["to-khai-khai-sinh"].model_copy(deep=True)
    template.form_schema["additionalProperties"] = True
    with pytest.raises(SchemaProblem, match="additionalProperties"):
        check_template(template)
    template.form_schema["additionalProperties"] = False
    template.form_schema["properties"]["co_quan_tiep_nhan"]["maxLength"] = "dài"
    with pytest.raises(SchemaProblem, match="không hợp lệ"):
        check_template(template)
    template.form_schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    with pytest.raises(SchemaProblem, match="2020-12"):
        check_template(template)
