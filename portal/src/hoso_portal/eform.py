"""The e-form page from a template's JSON Schema, and the posted page back into JSON data.

Every input is named by the JSON pointer of its value (`/me/ho_ten`, `/qua_trinh_cu_tru/0/tu_ngay`),
so the service's 422 `errors[].pointer` lands next to the field it names, and a plain form post
(no JavaScript) carries everything needed to rebuild the data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DATA_POINTER = "/data"
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# A repeated group grows by a button; this bounds what one post can ask for.
MAX_ROWS = 50
# Dates are typed as the hint shows them (dd/mm/yyyy): a date input would show the browser's
# locale format instead, which need not match the hint or the printed form.
INPUT_OF_FORMAT = {"date-vn": "date-vn", "email": "email", "so-di-dong": "tel"}


def resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """Follow the schema's own `#/$defs/...` references; annotations beside a $ref win."""
    seen = 0
    current: dict[str, Any] = dict(node)
    while isinstance(current.get("$ref"), str) and seen < 16:
        ref = str(current["$ref"])
        if not ref.startswith("#/"):
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        current = {**target, **{k: v for k, v in current.items() if k != "$ref"}}
        seen += 1
    return current


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def dom_id(pointer: str) -> str:
    """An HTML id for a pointer: `f-me-ho_ten`; letters, digits, `-` and `_` only."""
    return "f" + re.sub(r"[^A-Za-z0-9_]", "-", pointer)


def from_input_date(value: str) -> str:
    if match := _DATE_ISO.match(value):
        return f"{match[3]}/{match[2]}/{match[1]}"
    return value


@dataclass
class Node:
    """One part of the page: a field, a group of fields, an address, or a repeated group."""

    kind: str  # "field" | "group" | "address" | "array"
    pointer: str
    title: str
    description: str | None = None
    required: bool = False
    input: str = "text"
    options: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    max_length: int | None = None
    children: list[Node] = field(default_factory=list)
    error: str | None = None
    rows_max: int = MAX_ROWS
    hx_communes: str | None = None  # the commune select this province select refreshes

    @property
    def id(self) -> str:
        return dom_id(self.pointer)

    @property
    def communes_target(self) -> str:
        return dom_id(self.hx_communes or "") + "-field"

    @property
    def first_id(self) -> str:
        """Where an error summary link about this node takes the focus."""
        for child in self.children:
            return child.first_id
        return self.id


@dataclass
class Catalogue:
    """The provinces, and the communes of each province that the data names."""

    provinces: list[dict[str, Any]] = field(default_factory=list)
    communes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def provinces_needed(schema: Mapping[str, Any], data: Any) -> set[str]:
    """The province codes chosen in the data's addresses, whose communes the page lists."""
    found: set[str] = set()

    def walk(node: Mapping[str, Any], value: Any) -> None:
        node = resolve(schema, node)
        if node.get("x-address") and isinstance(value, dict):
            code = value.get("tinh_thanh")
            if isinstance(code, str) and code:
                found.add(code)
            return
        if node.get("type") == "object" and isinstance(value, dict):
            for name, child in (node.get("properties") or {}).items():
                walk(child, value.get(name))
        elif node.get("type") == "array" and isinstance(value, list):
            for item in value:
                walk(node.get("items") or {}, item)

    walk(schema, data)
    return found


def print_order(layout: Mapping[str, Any] | None) -> list[str]:
    """The fields' pointers in the order the printed form lists them."""
    if not layout:
        return []
    found = [str(layout.get("recipient_field") or "")]
    for section in layout.get("sections") or []:
        found.extend(str(p) for p in section.get("fields") or [])
    return [p for p in found if p]


def ordered(
    properties: Mapping[str, Any], required: list[str], pointer: str, order: list[str]
) -> list[str]:
    """Properties in print order; the rest required first, as the template lists them.

    A stored schema need not keep its properties' order (a document store may sort keys), so
    the page takes its order from the print layout, which is a list.
    """

    def rank(item: tuple[int, str]) -> tuple[int, int, int]:
        index, name = item
        own = f"{pointer}/{escape(name)}"
        places = [i for i, p in enumerate(order) if p == own or p.startswith(own + "/")]
        if places:
            return (0, min(places), index)
        if name in required:
            return (1, required.index(name), index)
        return (2, 0, index)

    return [name for _, name in sorted(enumerate(properties), key=rank)]


class FormBuilder:
    """Builds the page's nodes for a schema, its current data and the service's errors."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        catalogue: Catalogue,
        errors: Mapping[str, str],
        order: list[str] | None = None,
    ) -> None:
        self.schema = schema
        self.catalogue = catalogue
        self.errors = dict(errors)
        self.placed: set[str] = set()
        self.order = order or []

    def build(self, data: Mapping[str, Any]) -> list[Node]:
        root = resolve(self.schema, self.schema)
        return self._children(root, "", dict(data))

    def _error(self, pointer: str) -> str | None:
        message = self.errors.get(pointer)
        if message is not None:
            self.placed.add(pointer)
        return message

    def _children(self, node: Mapping[str, Any], pointer: str, value: Any) -> list[Node]:
        required = set(node.get("required") or [])
        values = value if isinstance(value, dict) else {}
        properties = node.get("properties") or {}
        names = ordered(properties, list(node.get("required") or []), pointer, self.order)
        return [
            self._node(
                properties[name], f"{pointer}/{escape(name)}", values.get(name), name in required
            )
            for name in names
        ]

    def _node(self, raw: Mapping[str, Any], pointer: str, value: Any, required: bool) -> Node:
        node = resolve(self.schema, raw)
        title = str(node.get("title") or pointer.rsplit("/", 1)[-1])
        description = node.get("description")
        kind = node.get("type")
        if node.get("x-address"):
            return self._address(node, pointer, value, required, title, description)
        if kind == "object":
            return Node(
                "group",
                pointer,
                title,
                description,
                required,
                children=self._children(node, pointer, value),
                error=self._error(pointer),
            )
        if kind == "array":
            rows = value if isinstance(value, list) else []
            items = node.get("items") or {}
            children = [
                self._node(items, f"{pointer}/{index}", row, True) for index, row in enumerate(rows)
            ]
            for index, child in enumerate(children, start=1):
                child.title = f"{child.title} thứ {index}"
            return Node(
                "array",
                pointer,
                title,
                description,
                required,
                children=children,
                error=self._error(pointer),
                rows_max=min(int(node.get("maxItems") or MAX_ROWS), MAX_ROWS),
            )
        return self._field(node, pointer, value, required, title, description)

    def _field(
        self,
        node: Mapping[str, Any],
        pointer: str,
        value: Any,
        required: bool,
        title: str,
        description: Any,
    ) -> Node:
        shown = value if value is not None else node.get("default", "")
        widget = "text"
        options: list[tuple[str, str]] = []
        if isinstance(node.get("enum"), list):
            widget = "select"
            options = [(str(option), str(option)) for option in node["enum"]]
        elif node.get("type") == "integer":
            widget = "number"
        elif node.get("format") in INPUT_OF_FORMAT:
            widget = INPUT_OF_FORMAT[str(node["format"])]
        text = "" if shown is None else str(shown)
        return Node(
            "field",
            pointer,
            title,
            str(description) if description else None,
            required,
            input=widget,
            options=options,
            value=text,
            max_length=node.get("maxLength"),
            error=self._error(pointer),
        )

    def _address(
        self,
        node: Mapping[str, Any],
        pointer: str,
        value: Any,
        required: bool,
        title: str,
        description: Any,
    ) -> Node:
        values = value if isinstance(value, dict) else {}
        props = node.get("properties") or {}
        inner = set(node.get("required") or [])
        province_code = str(values.get("tinh_thanh") or "")
        province = self._field(
            resolve(self.schema, props.get("tinh_thanh") or {}),
            f"{pointer}/tinh_thanh",
            province_code,
            "tinh_thanh" in inner,
            "Tỉnh/thành phố",
            None,
        )
        province.input = "select"
        province.options = [(p["code"], p["name"]) for p in self.catalogue.provinces]
        commune = self._field(
            resolve(self.schema, props.get("xa_phuong") or {}),
            f"{pointer}/xa_phuong",
            values.get("xa_phuong"),
            "xa_phuong" in inner,
            "Xã/phường/đặc khu",
            None,
        )
        commune.input = "select"
        commune.options = [
            (c["code"], c["name"]) for c in self.catalogue.communes.get(province_code, [])
        ]
        province.hx_communes = commune.pointer
        children = [province, commune]
        if "dia_chi_chi_tiet" in props:
            children.append(
                self._node(
                    props["dia_chi_chi_tiet"],
                    f"{pointer}/dia_chi_chi_tiet",
                    values.get("dia_chi_chi_tiet"),
                    "dia_chi_chi_tiet" in inner,
                )
            )
        return Node(
            "address",
            pointer,
            title,
            str(description) if description else None,
            required,
            children=children,
            error=self._error(pointer),
        )

    def summary(self, nodes: list[Node]) -> list[tuple[str, str]]:
        """(link target id, message) for every error, in page order; unplaced ones too."""
        out: list[tuple[str, str]] = []

        def walk(items: list[Node], trail: str) -> None:
            for item in items:
                if item.error:
                    target = item.first_id if item.kind != "field" else item.id
                    out.append((target, f"{trail}{item.error}"))
                inner = trail if item.kind == "field" else f"{trail}{item.title}: "
                walk(item.children, inner if item.kind in ("group", "array") else trail)

        walk(nodes, "")
        for pointer, message in self.errors.items():
            if pointer not in self.placed:
                out.append((self._nearest(nodes, pointer), message))
        return out

    def _nearest(self, nodes: list[Node], pointer: str) -> str:
        best = nodes[0].first_id if nodes else "main"
        stack = list(nodes)
        while stack:
            item = stack.pop()
            if pointer.startswith(item.pointer + "/") or pointer == item.pointer:
                best = item.first_id
                stack = list(item.children)
        return best


def field_errors(errors: list[Any]) -> dict[str, str]:
    """The service's `errors[]` by pointer into the data (its `/data` prefix dropped)."""
    out: dict[str, str] = {}
    for error in errors:
        pointer = str(getattr(error, "pointer", ""))
        if pointer == DATA_POINTER or pointer.startswith(DATA_POINTER + "/"):
            pointer = pointer[len(DATA_POINTER) :]
        out.setdefault(pointer, str(getattr(error, "message", "")))
    return out


def read_posted(schema: Mapping[str, Any], posted: Mapping[str, str]) -> dict[str, Any]:
    """The data as the page shows it, empty values kept (the page is drawn from it again)."""
    root = resolve(schema, schema)
    value = _read(schema, root, "", posted)
    return value if isinstance(value, dict) else {}


def _read(
    schema: Mapping[str, Any], raw: Mapping[str, Any], pointer: str, posted: Mapping[str, str]
) -> Any:
    node = resolve(schema, raw)
    kind = node.get("type")
    if node.get("x-address") or kind == "object":
        return {
            name: _read(schema, child, f"{pointer}/{escape(name)}", posted)
            for name, child in (node.get("properties") or {}).items()
        }
    if kind == "array":
        prefix = pointer + "/"
        indexes = sorted(
            {
                int(key[len(prefix) :].split("/", 1)[0])
                for key in posted
                if key.startswith(prefix) and key[len(prefix) :].split("/", 1)[0].isdigit()
            }
        )[:MAX_ROWS]
        items = node.get("items") or {}
        return [_read(schema, items, f"{pointer}/{index}", posted) for index in indexes]
    text = str(posted.get(pointer, "")).strip()
    if node.get("format") == "date-vn":
        return from_input_date(text)
    if kind == "integer" and re.fullmatch(r"-?\d{1,9}", text):
        return int(text)
    return text


def prune(value: Any) -> Any:
    """What the service receives: empty fields, groups and rows left out (so "required" speaks)."""
    if isinstance(value, dict):
        kept = {k: p for k, v in value.items() if (p := prune(v)) is not None}
        return kept or None
    if isinstance(value, list):
        rows = [p for v in value if (p := prune(v)) is not None]
        return rows or None
    if value == "" or value is None:
        return None
    return value


def to_send(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    pruned = prune(_without_untouched(schema, resolve(schema, schema), dict(data), root=True))
    return pruned if isinstance(pruned, dict) else {}


def _entered(schema: Mapping[str, Any], raw: Mapping[str, Any], value: Any) -> bool:
    """Whether the citizen typed anything here; a prefilled default alone does not count."""
    node = resolve(schema, raw)
    if isinstance(value, dict):
        props = node.get("properties") or {}
        return any(_entered(schema, props.get(k) or {}, v) for k, v in value.items())
    if isinstance(value, list):
        items = node.get("items") or {}
        return any(_entered(schema, items, v) for v in value)
    if value in ("", None):
        return False
    return "default" not in node or value != node["default"]


def _without_untouched(
    schema: Mapping[str, Any], node: Mapping[str, Any], value: Any, *, root: bool = False
) -> Any:
    """An optional group the citizen left alone is left out, even with a default shown in it."""
    if isinstance(value, dict):
        if not root and not _entered(schema, node, value):
            return None
        props = node.get("properties") or {}
        return {
            k: _without_untouched(schema, resolve(schema, props.get(k) or {}), v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        items = resolve(schema, node.get("items") or {})
        return [_without_untouched(schema, items, v) for v in value]
    return value


def change_rows(data: dict[str, Any], action: str) -> None:
    """ "Thêm dòng" (`add:/pointer`) and "Xóa dòng" (`remove:/pointer/index`) without JavaScript."""
    verb, _, pointer = action.partition(":")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    if not parts:
        return
    if verb == "remove" and parts[-1].isdigit():
        target = _locate(data, parts[:-1])
        if isinstance(target, list) and int(parts[-1]) < len(target):
            del target[int(parts[-1])]
    elif verb == "add":
        target = _locate(data, parts)
        if isinstance(target, list) and len(target) < MAX_ROWS:
            target.append({})
        elif target is None:
            parent = _locate(data, parts[:-1])
            if isinstance(parent, dict):
                parent[parts[-1]] = [{}]


def _locate(data: Any, parts: list[str]) -> Any:
    node = data
    for part in parts:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
