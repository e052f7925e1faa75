"""Lay out offline, standalone-strict JSON schemas in the directory layout kubeconform reads.

Two sources, both from package registries (nothing is fetched at validation time):

* Kubernetes built-in kinds: the ``kubernetes-validate`` wheel (PyPI) ships the API's JSON
  schemas per Kubernetes version in a "local-strict" flavour (``additionalProperties: false``
  everywhere) whose kind files point into one shared ``_definitions.json`` by absolute URL.
  kubeconform would try to fetch that URL, so each kind file is rewritten into a standalone
  schema carrying only the definitions it reaches (``$defs``).
* CustomResourceDefinitions (KEDA's ScaledObject): the CRD's ``openAPIV3Schema`` is turned
  into a strict JSON schema the way ``openapi2jsonschema`` does it: objects with declared
  properties reject unknown fields unless the CRD says they preserve them.

Usage:
  k8s_schemas.py builtin <kubernetes version> <output dir>
  k8s_schemas.py crd <crd yaml> <output dir>
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

REMOTE_DEFS = re.compile(r"^/api/_definitions\.json#/\$defs/(.+)$")
LOCAL_DEFS = re.compile(r"^#/\$defs/(.+)$")


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _def_name(ref: str) -> str | None:
    match = REMOTE_DEFS.match(ref) or LOCAL_DEFS.match(ref)
    return match.group(1) if match else None


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (name := _def_name(value)):
                out[key] = f"#/$defs/{name}"
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def builtin(version: str, out_dir: Path) -> int:
    import kubernetes_validate  # installed by check.sh into a throwaway uv environment

    source = (
        Path(kubernetes_validate.__file__).parent
        / "kubernetes-json-schema"
        / f"v{version}-local-strict"
    )
    if not source.is_dir():
        raise SystemExit(f"kubernetes-validate ships no schemas for Kubernetes {version}")
    definitions: dict[str, Any] = json.loads((source / "_definitions.json").read_text())["$defs"]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted(source.glob("*.json")):
        schema = json.loads(path.read_text())
        # Only top-level kinds are looked up by kubeconform; sub-objects stay in $defs.
        if "x-kubernetes-group-version-kind" not in schema:
            continue
        needed: set[str] = set()
        pending = [n for r in _refs(schema) if (n := _def_name(r))]
        while pending:
            name = pending.pop()
            if name in needed:
                continue
            needed.add(name)
            pending.extend(n for r in _refs(definitions[name]) if (n := _def_name(r)))
        schema.pop("$id", None)
        schema = _rewrite_refs(schema)
        schema["$defs"] = {name: _rewrite_refs(definitions[name]) for name in sorted(needed)}
        (out_dir / path.name).write_text(json.dumps(schema, separators=(",", ":")))
        written += 1
    return written


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if node.pop("x-kubernetes-int-or-string", False):
        node.pop("type", None)
        node.setdefault("anyOf", [{"type": "string"}, {"type": "integer"}])
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in node and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    return node


def crd(crd_file: Path, out_dir: Path) -> int:
    import yaml

    written = 0
    for doc in yaml.safe_load_all(crd_file.read_text()):
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        group = doc["spec"]["group"]
        kind = doc["spec"]["names"]["kind"].lower()
        for version in doc["spec"]["versions"]:
            schema = _strict(version["schema"]["openAPIV3Schema"])
            # The API server fills these in for every object; the CRD schema rarely lists them.
            schema.setdefault("properties", {}).update(
                {
                    "apiVersion": {"type": "string", "enum": [f"{group}/{version['name']}"]},
                    "kind": {"type": "string", "enum": [doc["spec"]["names"]["kind"]]},
                    "metadata": {"type": "object"},
                }
            )
            target = out_dir / group / f"{kind}_{version['name']}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(schema, separators=(",", ":")))
            written += 1
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in {"builtin", "crd"}:
        sys.stderr.write(__doc__ or "")
        return 2
    if argv[1] == "builtin":
        count = builtin(argv[2], Path(argv[3]))
    else:
        count = crd(Path(argv[2]), Path(argv[3]))
    if count == 0:
        sys.stderr.write("no schema written\n")
        return 1
    sys.stdout.write(f"{count} schemas -> {argv[3]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
