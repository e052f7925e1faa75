"""Navigation of a template's JSON Schema by instance path: labels and local $refs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

JsonPath = Sequence[str | int]


def resolve_local(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow `#/...` references inside the same schema (the only kind templates use)."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or seen > 16:
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        # Annotations written beside the $ref (title, description) win over the target's.
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        node = merged
        seen += 1
    return node


def subschema(root: dict[str, Any], path: JsonPath) -> dict[str, Any] | None:
    """The schema that describes the value at `path` of an instance, if the path is declared."""
    node = resolve_local(root, root)
    for part in path:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            items = node.get("items")
            if not isinstance(items, dict):
                return None
            node = resolve_local(root, items)
        else:
            properties = node.get("properties", {})
            if part not in properties:
                return None
            node = resolve_local(root, properties[part])
    return node


def label(root: dict[str, Any], path: JsonPath) -> str:
    """The Vietnamese label of the field at `path`, with the row number for list items."""
    node = subschema(root, path)
    title = (node or {}).get("title") or (str(path[-1]) if path else "Biểu mẫu")
    rows = [int(p) + 1 for p in path if isinstance(p, int) or (isinstance(p, str) and p.isdigit())]
    if rows:
        parent = subschema(root, path[: max(i for i, p in enumerate(path) if str(p).isdigit())])
        parent_title = (parent or {}).get("title", "")
        return f"{title} ({parent_title} thứ {rows[-1]})" if parent_title else f"{title}"
    return str(title)


def pointer(path: JsonPath, prefix: str = "") -> str:
    """RFC 6901 JSON pointer for an instance path."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return prefix + "".join("/" + part for part in escaped)


def parse_pointer(value: str) -> list[str]:
    if value in ("", "/"):
        return []
    if not value.startswith("/"):
        raise ValueError(f"not a JSON pointer: {value}")
    return [p.replace("~1", "/").replace("~0", "~") for p in value[1:].split("/")]


def value_at(data: Any, path: JsonPath) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict):
            node = node.get(str(part))
        elif isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
