"""The e-form page from a JSON Schema: print order, untouched optional groups, rows."""

from __future__ import annotations

from typing import Any

from hoso_portal.eform import (
    Catalogue,
    FormBuilder,
    change_rows,
    print_order,
    read_posted,
    to_send,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["me", "ho_ten"],
    "properties": {
        # sorted, as a document store may hand the schema back
        "cha": {"$ref": "#/$defs/nguoi", "title": "Cha"},
        "ho_ten": {"type": "string", "title": "Họ tên"},
        "me": {"$ref": "#/$defs/nguoi", "title": "Mẹ"},
        "rows": {"type": "array", "items": {"$ref": "#/$defs/nguoi"}},
    },
    "$defs": {
        "nguoi": {
            "type": "object",
            "title": "Người",
            "required": ["ten"],
            "properties": {
                "quoc_tich": {"type": "string", "default": "Việt Nam"},
                "ten": {"type": "string", "title": "Tên"},
            },
        }
    },
}
LAYOUT = {
    "recipient_field": "/ho_ten",
    "sections": [{"fields": ["/me/ten", "/me/quoc_tich"]}, {"fields": ["/cha/ten"]}],
}


def test_fields_follow_the_printed_order_not_the_stored_key_order() -> None:
    builder = FormBuilder(SCHEMA, Catalogue(), {}, print_order(LAYOUT))
    nodes = builder.build({})
    assert [n.pointer for n in nodes] == ["/ho_ten", "/me", "/cha", "/rows"]
    assert [c.pointer for c in nodes[1].children] == ["/me/ten", "/me/quoc_tich"]
    assert nodes[1].children[1].value == "Việt Nam"  # the default, shown


def test_an_untouched_optional_group_is_left_out_despite_its_default() -> None:
    posted = {"/ho_ten": "A", "/me/ten": "B", "/me/quoc_tich": "Việt Nam", "/cha/ten": ""}
    posted["/cha/quoc_tich"] = "Việt Nam"
    data = read_posted(SCHEMA, posted)
    assert to_send(SCHEMA, data) == {"ho_ten": "A", "me": {"ten": "B", "quoc_tich": "Việt Nam"}}


def test_rows_are_added_and_removed_by_buttons() -> None:
    data = read_posted(SCHEMA, {"/rows/0/ten": "X", "/rows/1/ten": "Y"})
    change_rows(data, "add:/rows")
    assert len(data["rows"]) == 3
    change_rows(data, "remove:/rows/0")
    assert [r.get("ten") for r in data["rows"]] == ["Y", None]


def test_summary_names_the_group_of_each_error() -> None:
    builder = FormBuilder(SCHEMA, Catalogue(), {"/me/ten": "Vui lòng nhập Tên."}, [])
    nodes = builder.build({})
    assert builder.summary(nodes) == [("f-me-ten", "Mẹ: Vui lòng nhập Tên.")]
