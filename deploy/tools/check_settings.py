"""Check the rendered manifests and docker-compose.yml against the code's Settings models.

Schemas see shapes; this sees meaning. For every container of hoso's own images (the four
services, the sandbox IdP and CA, the topics Job), the environment it gets (env, envFrom
ConfigMaps and Secrets, configMapKeyRef, secretKeyRef) is compared with the environment
names the container's Settings class reads (field names under the class's env_prefix, or
the field's aliases). It fails on:

* a variable that no field reads (a typo, a setting removed from the code); the only
  exceptions are the OpenTelemetry SDK's OTEL_* variables and helper variables that
  another variable of the same container expands with $(NAME);
* a reference to a ConfigMap or key that the build lacks, or to a Secret key outside the
  documented contract of that Secret (SECRET_KEYS, docs/operations.md "Secrets");
* in production, a required setting (REQUIRED_PRODUCTION) that nothing provides;
* values the Settings model refuses (the model is built from the rendered values, with
  placeholders for secrets): e.g. SASL without credentials, min.insync.replicas above the
  replication factor, topic creation by services in production;
* a topics Job (or compose one-shot) that does not run `python -m hoso_common.topics
  ensure` or names a topic that hoso_common.topics lacks, or a Job that is kept forever
  (no ttlSecondsAfterFinished: re-applying a changed configuration would then always fail
  on its immutable pod template);
* a KEDA Kafka trigger on a topic or consumer group the code does not use, or without a
  TriggerAuthentication while Kafka requires SASL;
* a Kafka StatefulSet whose log.dirs is the root of its data volume (lost+found).

Runs in the project's environment (it imports the Settings classes). Input is JSON, as
written by deploy/check.sh from the rendered YAML, so that the unit tests need no YAML
library and no kustomize (deploy/tools/tests mutate committed renders).

Usage: check_settings.py <name>=<rendered.json>... [compose=<docker-compose.json>]
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, AliasPath, ValidationError
from pydantic_settings import BaseSettings

# Which Settings class reads the environment of which container (by workload name).
SETTINGS_CLASSES = {
    "documents": "hoso_documents.config:Settings",
    "eforms": "hoso_eforms.config:Settings",
    "signing": "hoso_signing.config:Settings",
    "submission": "hoso_submission.config:Settings",
    "ca": "hoso_sandbox_ca.config:Settings",
    "portal": "hoso_portal.config:Settings",
    "kafka-topics": "hoso_common.settings:KafkaSettings",
}
# Read by the OpenTelemetry SDK, not by a Settings model (docs/operations.md, "Telemetry").
OTEL_VARIABLES = frozenset(
    {
        "OTEL_SERVICE_NAME",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_TRACES_SAMPLER",
        "OTEL_TRACES_SAMPLER_ARG",
    }
)
# The keys of the Secrets created out of band (docs/operations.md, "Secrets").
SECRET_KEYS = {
    "hoso-mongo": {"username", "password"},
    "hoso-s3": {"access-key", "secret-key"},
    "hoso-signing-secrets": {"vnpt-sp-password", "viettel-client-secret", "webhook-secret"},
    "hoso-kafka-client": {"username", "password", "ca.crt"},
    "hoso-capability": {"secret"},
    "hoso-fpt-relying-party": {"password", "signature", "key"},
    "hoso-portal": {"oidc-client-secret"},
}
_KAFKA = (
    "HOSO_KAFKA_BOOTSTRAP_SERVERS",
    "HOSO_KAFKA_SECURITY_PROTOCOL",
    "HOSO_KAFKA_SASL_MECHANISM",
    "HOSO_KAFKA_SASL_USERNAME",
    "HOSO_KAFKA_SASL_PASSWORD",
    "HOSO_KAFKA_SSL_CAFILE",
)
_PLATFORM = (
    "HOSO_ENV",
    *_KAFKA,
    "HOSO_MONGO_URL",
    "HOSO_S3_ENDPOINT",
    "HOSO_S3_ACCESS_KEY",
    "HOSO_S3_SECRET_KEY",
    "HOSO_S3_SECURE",
    "HOSO_OIDC_ISSUER",
    "HOSO_OIDC_JWKS_URL",
    "HOSO_OBJECT_CAPABILITY_SECRET",
)
# What a production overlay must provide: defaults of these point at the local stack.
REQUIRED_PRODUCTION = {
    "documents": (*_PLATFORM, "HOSO_DOCUMENTS_SIGNING_URL"),
    "eforms": _PLATFORM,
    "signing": (
        *_PLATFORM,
        "HOSO_SIGNING_VNPT_BASE_URL",
        "HOSO_SIGNING_VNPT_SP_ID",
        "HOSO_SIGNING_VNPT_SP_PASSWORD",
        "HOSO_SIGNING_VIETTEL_BASE_URL",
        "HOSO_SIGNING_VIETTEL_CLIENT_ID",
        "HOSO_SIGNING_VIETTEL_CLIENT_SECRET",
        "HOSO_SIGNING_FPT_RELYING_PARTY_PASSWORD",
        "HOSO_SIGNING_FPT_RELYING_PARTY_SIGNATURE",
        "HOSO_SIGNING_FPT_RELYING_PARTY_KEY",
        "HOSO_SIGNING_WEBHOOK_SECRET",
        "HOSO_SIGNING_TSA_URL",
        "HOSO_SIGNING_TRUST_ROOTS",
    ),
    "submission": (
        *_PLATFORM,
        "HOSO_SUBMISSION_SIGNING_URL",
        "HOSO_SUBMISSION_DOCUMENTS_URL",
        "HOSO_SUBMISSION_EFORMS_URL",
    ),
    "portal": (
        "HOSO_ENV",
        *_KAFKA,
        "HOSO_MONGO_URL",
        "HOSO_PORTAL_PUBLIC_URL",
        "HOSO_PORTAL_OIDC_DISCOVERY_URL",
        "HOSO_PORTAL_OIDC_CLIENT_SECRET",
        "HOSO_PORTAL_DOCUMENTS_URL",
        "HOSO_PORTAL_SIGNING_URL",
    ),
    "kafka-topics": (
        "HOSO_ENV",
        *_KAFKA,
        "HOSO_KAFKA_REPLICATION_FACTOR",
        "HOSO_KAFKA_MIN_INSYNC_REPLICAS",
    ),
}
TOPICS_COMMAND = ["python", "-m", "hoso_common.topics", "ensure"]
HASH_SUFFIX = re.compile(r"-([a-z0-9]{10})$")
# A secret's value in the model check: long and unlike the placeholders it refuses.
SECRET_STAND_IN = "from-a-secret-0123456789"  # noqa: S105 - not a secret, a stand-in
INTERPOLATION = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def settings_class(name: str) -> type[BaseSettings]:
    module, _, attr = SETTINGS_CLASSES[name].partition(":")
    cls: type[BaseSettings] = getattr(importlib.import_module(module), attr)
    return cls


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variables a Settings class reads (upper case: matching is too)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {c for c in alias.choices if isinstance(c, str)}
        elif isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasPath):
            names.add(str(alias.path[0]))
        else:
            names.add(f"{prefix}{field_name}")
    return {name.upper() for name in names}


@dataclass
class Container:
    """What one hoso container gets: variable -> value (None: from a Secret)."""

    where: str
    workload: str
    env: dict[str, str | None] = field(default_factory=dict)
    # Variables from an envFrom ConfigMap: variable -> ConfigMap. A ConfigMap shared by
    # several workloads (hoso-platform) needs each key read by one of them, not by all.
    shared: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _config_maps(objects: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {
        o["metadata"]["name"]: dict(o.get("data") or {})
        for o in objects
        if o.get("kind") == "ConfigMap"
    }


def _workload_name(obj: dict[str, Any]) -> str:
    name = str(obj["metadata"]["name"])
    labels = obj["metadata"].get("labels") or {}
    return str(labels.get("app.kubernetes.io/name") or name)


def k8s_containers(objects: list[dict[str, Any]]) -> list[Container]:
    config_maps = _config_maps(objects)
    result: list[Container] = []
    for obj in objects:
        if obj.get("kind") not in ("Deployment", "StatefulSet", "Job"):
            continue
        workload = _workload_name(obj)
        if workload not in SETTINGS_CLASSES:
            continue
        for spec in obj["spec"]["template"]["spec"]["containers"]:
            where = f"{obj['kind']}/{obj['metadata']['name']} container {spec['name']}"
            container = Container(where, workload)
            for source in spec.get("envFrom") or []:
                if "configMapRef" in source:
                    ref = source["configMapRef"]["name"]
                    if ref not in config_maps:
                        container.errors.append(f"{where}: envFrom ConfigMap {ref} is missing")
                        continue
                    container.env.update(config_maps[ref])
                    container.shared.update(dict.fromkeys(config_maps[ref], ref))
                elif "secretRef" in source:
                    container.errors.append(
                        f"{where}: envFrom Secret {source['secretRef']['name']}: its keys "
                        "cannot be checked; map them one by one with secretKeyRef"
                    )
            for item in spec.get("env") or []:
                name, value_from = item["name"], item.get("valueFrom")
                container.shared.pop(name, None)
                if value_from is None:
                    container.env[name] = str(item.get("value", ""))
                elif "secretKeyRef" in value_from:
                    ref = value_from["secretKeyRef"]
                    keys = SECRET_KEYS.get(ref["name"])
                    if keys is None:
                        container.errors.append(
                            f"{where}: {name} reads unknown Secret {ref['name']}"
                        )
                    elif ref["key"] not in keys:
                        container.errors.append(
                            f"{where}: {name} reads key {ref['key']!r} of Secret {ref['name']}, "
                            f"which has only {sorted(keys)}"
                        )
                    container.env[name] = None
                elif "configMapKeyRef" in value_from:
                    ref = value_from["configMapKeyRef"]
                    data = config_maps.get(ref["name"])
                    if data is None or ref["key"] not in data:
                        container.errors.append(
                            f"{where}: {name} reads {ref['name']}/{ref['key']}, which is missing"
                        )
                        continue
                    container.env[name] = data[ref["key"]]
                else:
                    container.env[name] = ""
            result.append(container)
    return result


_COMPOSE_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _compose_value(raw: object) -> str | None:
    """The value compose would use with an empty environment; None for a required secret."""
    text = "" if raw is None else str(raw)
    secret = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal secret
        operator, default = match.group(2), match.group(3) or ""
        if operator and operator.endswith("?"):
            secret = True
            return SECRET_STAND_IN
        return default if operator else ""

    value = _COMPOSE_VARIABLE.sub(substitute, text)
    return None if secret and value == SECRET_STAND_IN else value


def compose_containers(compose: dict[str, Any]) -> list[Container]:
    result: list[Container] = []
    for name, service in (compose.get("services") or {}).items():
        if name not in SETTINGS_CLASSES:
            continue
        container = Container(f"compose service {name}", name)
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        for key, value in environment.items():
            container.env[key] = _compose_value(value)
        result.append(container)
    return result


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _expanded(env: dict[str, str | None]) -> dict[str, str]:
    values = {k: SECRET_STAND_IN if v is None else v for k, v in env.items()}
    return {
        k: INTERPOLATION.sub(lambda m: values.get(m.group(1), m.group(0)), v)
        for k, v in values.items()
    }


def container_errors(
    container: Container, production: bool, shared_readers: dict[str, set[str]] | None = None
) -> list[str]:
    errors = list(container.errors)
    cls = settings_class(container.workload)
    read = env_names(cls)
    expanded_helpers = {
        ref for value in container.env.values() if value for ref in INTERPOLATION.findall(value)
    }
    for name in sorted(container.env):
        if name.upper() in read or name in OTEL_VARIABLES or name in expanded_helpers:
            continue
        config_map = container.shared.get(name)
        if config_map and shared_readers and name.upper() in shared_readers.get(config_map, ()):
            continue
        errors.append(
            f"{container.where}: {name} is set but no field of {cls.__module__}.{cls.__name__} "
            "reads it"
        )
    if production:
        for name in REQUIRED_PRODUCTION.get(container.workload, ()):
            if name.upper() not in read:
                errors.append(f"REQUIRED_PRODUCTION names {name}, which {cls.__name__} never reads")
            elif name not in container.env or container.env[name] == "":
                errors.append(f"{container.where}: production setting {name} is not provided")
    try:
        with _environment(_expanded(container.env)):
            cls()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        errors.append(f"{container.where}: {cls.__name__} refuses the configuration: {problems}")
    return errors


def topics_errors(where: str, command: list[str]) -> list[str]:
    from hoso_common import topics

    errors: list[str] = []
    if command[: len(TOPICS_COMMAND)] != TOPICS_COMMAND:
        errors.append(
            f"{where}: must run {' '.join(TOPICS_COMMAND)} (the topics' one definition), "
            f"runs {' '.join(command) or 'the image default'}"
        )
    for topic in command[len(TOPICS_COMMAND) :]:
        if topic.startswith("-"):
            continue
        if topic not in topics.BASE_NAMES:
            errors.append(f"{where}: topic {topic} is not defined in hoso_common.topics")
    return errors


def _platform(objects: list[dict[str, Any]]) -> tuple[str, dict[str, str]]:
    for name, data in _config_maps(objects).items():
        if HASH_SUFFIX.sub("", name) == "hoso-platform":
            return name, data
    return "", {}


def k8s_rules(name: str, objects: list[dict[str, Any]]) -> list[str]:
    from hoso_common import topics

    errors: list[str] = []
    production = name == "production"
    _, platform = _platform(objects)
    containers = k8s_containers(objects)
    if not containers:
        errors.append("no hoso container found")
    # What the consumers of each envFrom ConfigMap read, together: a key of the shared
    # ConfigMap must be read by at least one of them.
    readers: dict[str, set[str]] = {}
    for container in containers:
        for config_map in set(container.shared.values()):
            readers.setdefault(config_map, set()).update(
                env_names(settings_class(container.workload))
            )
            readers[config_map] |= {
                ref
                for value in container.env.values()
                if value
                for ref in INTERPOLATION.findall(value)
            }
    for container in containers:
        errors += container_errors(container, production, readers)

    jobs = [o for o in objects if o.get("kind") == "Job" and _workload_name(o) == "kafka-topics"]
    if not jobs:
        errors.append("no topics Job")
    for job in jobs:
        where = f"Job/{job['metadata']['name']}"
        spec = job["spec"]["template"]["spec"]["containers"][0]
        command = list(spec.get("command") or []) + list(spec.get("args") or [])
        errors += topics_errors(where, command)
        if job["spec"].get("ttlSecondsAfterFinished") is None:
            errors.append(
                f"{where}: set ttlSecondsAfterFinished, or the finished Job stays and every "
                "apply after a configuration change fails on its immutable pod template"
            )

    prefix = platform.get("HOSO_KAFKA_TOPIC_PREFIX", "")
    sasl = platform.get("HOSO_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").startswith("SASL_")
    auths = {o["metadata"]["name"] for o in objects if o.get("kind") == "TriggerAuthentication"}
    signing = settings_class("signing")
    groups = {
        str(signing.model_fields["requests_group"].default),
        str(signing.model_fields["finisher_group"].default),
    }
    for scaled in (o for o in objects if o.get("kind") == "ScaledObject"):
        for trigger in scaled["spec"].get("triggers", []):
            if trigger.get("type") != "kafka":
                continue
            meta = trigger.get("metadata") or {}
            where = f"ScaledObject/{scaled['metadata']['name']} kafka trigger {meta.get('topic')}"
            if meta.get("topic") not in {f"{prefix}{t}" for t in topics.BASE_NAMES}:
                errors.append(f"{where}: not a topic of hoso_common.topics (prefix {prefix!r})")
            if meta.get("consumerGroup") not in groups:
                errors.append(
                    f"{where}: consumer group {meta.get('consumerGroup')} is not signing's"
                )
            ref = (trigger.get("authenticationRef") or {}).get("name")
            if sasl and ref not in auths:
                errors.append(
                    f"{where}: Kafka requires SASL but the trigger has no TriggerAuthentication"
                )
            if sasl and meta.get("sasl") != _keda_sasl(platform):
                errors.append(f"{where}: sasl must be {_keda_sasl(platform)} as the services use")

    for obj in objects:
        if obj.get("kind") == "StatefulSet" and _workload_name(obj) == "kafka":
            errors += _kafka_log_dir_errors(obj, objects)
    return errors


def _keda_sasl(platform: dict[str, str]) -> str:
    mechanism = platform.get("HOSO_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    return {"SCRAM-SHA-512": "scram_sha512", "SCRAM-SHA-256": "scram_sha256"}.get(
        mechanism, "plaintext"
    )


def _kafka_log_dir_errors(obj: dict[str, Any], objects: list[dict[str, Any]]) -> list[str]:
    mounts = {
        m["mountPath"].rstrip("/")
        for c in obj["spec"]["template"]["spec"]["containers"]
        for m in c.get("volumeMounts", [])
    }
    errors = []
    for name, data in _config_maps(objects).items():
        for text in data.values():
            for match in re.finditer(r"^log\.dirs=(.*)$", text, re.M):
                for directory in match.group(1).split(","):
                    if directory.strip().rstrip("/") in mounts:
                        errors.append(
                            f"ConfigMap/{name}: log.dirs {directory} is the root of a volume "
                            "(ext4 keeps lost+found there and Kafka refuses it); use a subdirectory"
                        )
    return errors


def compose_rules(compose: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for container in compose_containers(compose):
        errors += container_errors(container, production=False)
    one_shot = (compose.get("services") or {}).get("kafka-topics")
    if one_shot is None:
        errors.append("compose: no kafka-topics one-shot")
    else:
        command = one_shot.get("command") or []
        if isinstance(command, str):
            command = command.split()
        errors += topics_errors("compose service kafka-topics", list(command))
    return errors


def check(name: str, document: Any) -> list[str]:
    if name == "compose":
        return compose_rules(document)
    return k8s_rules(name, [o for o in document if o])


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write(__doc__ or "")
        return 2
    failed = 0
    for arg in argv[1:]:
        name, _, path = arg.partition("=")
        errors = check(name, json.loads(Path(path).read_text()))
        for error in errors:
            print(f"  {name}: {error}")
        verdict = f"FAILED, {len(errors)} problems" if errors else "settings agree with the code"
        print(f"{name}: {verdict}")
        failed += bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
