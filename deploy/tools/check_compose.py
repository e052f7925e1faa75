"""Check docker-compose.yml: the compose-spec JSON schema, then the rules of the stack.

Compose interpolates ${VAR...} before it validates, so the file is interpolated the same
way first: defaults apply, and every required variable (${VAR:?message}) gets a
placeholder. The rules checked after the schema:

* every long-running container has a healthcheck; one-shots (restart "no") are judged by
  their exit status instead;
* every depends_on waits for service_healthy (on a container with a healthcheck) or
  service_completed_successfully (on a one-shot);
* signing can be scaled: no container_name and no fixed host port;
* secrets are required variables, never defaulted;
* bind-mounted files and Dockerfiles exist;
* the gateway routes each prefix to the right upstream with the right body-size limit;
* Keycloak runs the official image and imports deploy/keycloak/realm-hoso.json.

Usage: check_compose.py <compose file> <compose-spec.json> [--self-test]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

REQUIRED_SECRETS = (
    "KEYCLOAK_ADMIN_PASSWORD",
    "MONGO_ROOT_PASSWORD",
    "MINIO_ROOT_PASSWORD",
    "HOSO_SIGNING_VNPT_SP_PASSWORD",
    "HOSO_SIGNING_VIETTEL_CLIENT_SECRET",
    "HOSO_SIGNING_WEBHOOK_SECRET",
    "HOSO_OBJECT_CAPABILITY_SECRET",
)
SCALED_SERVICE = "signing"
# prefix -> (upstream, client_max_body_size); None means the server default (25m).
GATEWAY_ROUTES = {
    "/api/documents/": ("documents:8000", "110m"),
    "/api/submission/": ("submission:8000", "110m"),
    "/api/eforms/": ("eforms:8000", None),
    "/api/signing/": ("signing:8000", None),
    "/auth/": ("keycloak:8080", None),
    "/ca/": ("ca:8091", None),
}
GATEWAY_DEFAULT_BODY = "25m"
# Keycloak serves under /auth itself (its http-relative-path), so that prefix is kept.
UNSTRIPPED_ROUTES = {"/auth/"}
KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak:26."
REALM_FILE = "./deploy/keycloak/realm-hoso.json"

VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>(?:[^{}]|\{[^{}]*\})*)\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


class Interpolation:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error}, ${VAR:+alt} and $$ escapes."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.required: dict[str, str] = {}
        self.defaulted: set[str] = set()

    def string(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name = match.group("braced") or match.group("plain")
            op, arg = match.group("op"), self.string(match.group("arg") or "")
            value = self.env.get(name)
            unset_or_empty = value is None or (value == "" and op and op.startswith(":"))
            if op in (":-", "-"):
                self.defaulted.add(name)
                return arg if unset_or_empty else str(value)
            if op in (":?", "?"):
                self.required[name] = arg
                return f"placeholder-{name.lower()}" if unset_or_empty else str(value)
            if op in (":+", "+"):
                return "" if unset_or_empty else arg
            return value or ""

        return VARIABLE.sub(replace, text)

    def tree(self, node: Any) -> Any:
        if isinstance(node, str):
            return self.string(node)
        if isinstance(node, list):
            return [self.tree(item) for item in node]
        if isinstance(node, dict):
            return {key: self.tree(value) for key, value in node.items()}
        return node


DRAFTS = {
    "draft-07": jsonschema.Draft7Validator,
    "draft/2019-09": jsonschema.Draft201909Validator,
    "draft/2020-12": jsonschema.Draft202012Validator,
}


def schema_errors(document: Any, schema: dict[str, Any]) -> list[str]:
    # compose-spec writes $schema as an https URL, which jsonschema does not recognise.
    declared = str(schema.get("$schema", ""))
    matching = [cls for marker, cls in DRAFTS.items() if marker in declared]
    validator_class = matching[0] if matching else jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [
        f"schema: {'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    ]


def is_one_shot(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "no")) == "no"


def rule_errors(compose: dict[str, Any], root: Path, interp: Interpolation) -> list[str]:
    errors: list[str] = []
    services: dict[str, dict[str, Any]] = compose.get("services", {})

    for name, service in services.items():
        healthcheck = service.get("healthcheck")
        if not is_one_shot(service) and (not healthcheck or healthcheck.get("disable")):
            errors.append(f"{name}: long-running container without a healthcheck")

        depends = service.get("depends_on", {})
        if isinstance(depends, list):
            errors.append(f"{name}: depends_on must name a condition for each dependency")
            depends = {}
        for target, spec in depends.items():
            condition = (spec or {}).get("condition")
            other = services.get(target)
            if other is None:
                errors.append(f"{name}: depends on unknown service {target}")
            elif condition == "service_healthy":
                if not other.get("healthcheck"):
                    errors.append(
                        f"{name}: waits for {target} to be healthy, it has no healthcheck"
                    )
            elif condition == "service_completed_successfully":
                if not is_one_shot(other):
                    errors.append(f"{name}: waits for {target} to complete, it is not a one-shot")
            else:
                errors.append(f"{name}: depends_on {target} with condition {condition!r}")

        for volume in service.get("volumes", []):
            source = (
                volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            )
            if source.startswith((".", "/")) and not (root / source).exists():
                errors.append(f"{name}: bind-mounted {source} does not exist")

        build = service.get("build")
        if isinstance(build, dict):
            dockerfile = root / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
            if not dockerfile.is_file():
                errors.append(f"{name}: {dockerfile.relative_to(root)} does not exist")

    scaled = services.get(SCALED_SERVICE, {})
    if "container_name" in scaled:
        errors.append(f"{SCALED_SERVICE}: container_name prevents --scale")
    for port in scaled.get("ports", []):
        published = (
            str(port).rsplit(":", 1)[0] if isinstance(port, (str, int)) else port.get("published")
        )
        if published and str(published) != str(port):
            errors.append(f"{SCALED_SERVICE}: fixed host port {port} prevents --scale")

    for secret in REQUIRED_SECRETS:
        if secret not in interp.required:
            errors.append(f"secret {secret} must be required with ${{{secret}:?message}}")
        if secret in interp.defaulted:
            errors.append(f"secret {secret} has a default somewhere; it must always be required")
    return errors


def gateway_errors(compose: dict[str, Any], root: Path) -> list[str]:
    gateway = compose.get("services", {}).get("gateway")
    if not gateway:
        return ["gateway: service missing"]
    mounts = [v.split(":")[0] for v in gateway.get("volumes", []) if isinstance(v, str)]
    confs = [root / m for m in mounts if m.endswith(".conf")]
    if not confs or not confs[0].is_file():
        return ["gateway: no nginx .conf bind-mounted"]
    text = confs[0].read_text()
    errors: list[str] = []
    default = re.search(r"^\s{4}client_max_body_size\s+(\S+);", text, re.M)
    if not default or default.group(1) != GATEWAY_DEFAULT_BODY:
        errors.append(f"gateway: server-wide client_max_body_size must be {GATEWAY_DEFAULT_BODY}")
    for prefix, (upstream, body) in GATEWAY_ROUTES.items():
        block = re.search(rf"location {re.escape(prefix)} \{{(.*?)\n\s*\}}", text, re.S)
        if not block:
            errors.append(f"gateway: no location {prefix}")
            continue
        body_text = block.group(1)
        if f"set $upstream {upstream};" not in body_text:
            errors.append(f"gateway: {prefix} does not go to {upstream}")
        keeps_prefix = prefix in UNSTRIPPED_ROUTES
        if keeps_prefix == (f"rewrite ^{prefix}(.*)$ /$1 break;" in body_text):
            errors.append(
                f"gateway: {prefix} must {'keep' if keeps_prefix else 'strip'} its prefix"
            )
        size = re.search(r"client_max_body_size\s+(\S+);", body_text)
        if (size.group(1) if size else None) != body:
            errors.append(f"gateway: {prefix} body limit must be {body or GATEWAY_DEFAULT_BODY}")
        if body and "proxy_request_buffering off;" not in body_text:
            errors.append(f"gateway: {prefix} must stream uploads (proxy_request_buffering off)")
    return errors


def keycloak_errors(compose: dict[str, Any]) -> list[str]:
    """Keycloak runs the official image with the repository's one realm file, imported."""
    keycloak = compose.get("services", {}).get("keycloak")
    if not keycloak:
        return ["keycloak: service missing"]
    errors: list[str] = []
    if not str(keycloak.get("image", "")).startswith(KEYCLOAK_IMAGE):
        errors.append(f"keycloak: image must be {KEYCLOAK_IMAGE}<version>")
    if "--import-realm" not in keycloak.get("command", []):
        errors.append("keycloak: must start with --import-realm")
    mounts = [str(v).split(":")[:2] for v in keycloak.get("volumes", [])]
    if [REALM_FILE, f"/opt/keycloak/data/import/{Path(REALM_FILE).name}"] not in mounts:
        errors.append(f"keycloak: {REALM_FILE} must be mounted into /opt/keycloak/data/import")
    return errors


def self_test(schema: dict[str, Any]) -> int:
    """The schema must reject an unknown key and a mistyped value, or the check is hollow."""
    bad = {"services": {"x": {"image": "x", "helthcheck": {}, "ports": {"a": 1}}}}
    errors = schema_errors(bad, schema)
    if len(errors) < 2:
        print(f"self-test FAILED: the schema accepted an invalid file ({errors})")
        return 1
    print(f"self-test: an invalid compose file is rejected ({len(errors)} errors)")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write(__doc__ or "")
        return 2
    compose_file, schema_file = Path(argv[1]).resolve(), Path(argv[2])
    schema = yaml.safe_load(schema_file.read_text())
    if "--self-test" in argv:
        return self_test(schema)

    raw = yaml.safe_load(compose_file.read_text())
    interp = Interpolation(env={})
    compose = interp.tree(raw)
    errors = schema_errors(compose, schema)
    errors += rule_errors(compose, compose_file.parent, interp)
    errors += gateway_errors(compose, compose_file.parent)
    errors += keycloak_errors(compose)
    for error in errors:
        print(f"  {compose_file.name}: {error}")
    services = compose.get("services", {})
    print(
        f"{compose_file.name}: {len(services)} services, "
        f"{len(interp.required)} required variables ({', '.join(sorted(interp.required))}): "
        f"{'FAILED, ' + str(len(errors)) + ' problems' if errors else 'valid'}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
