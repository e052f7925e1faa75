"""deploy/tools/check_settings.py rejects configuration drift.

Each test takes a committed render of the overlays or of docker-compose.yml
(deploy/tools/tests/rendered, refreshed by `HOSO_DEPLOY_UPDATE_RENDERS=1 make
deploy-check`), introduces one deliberate fault and asserts the check names it. The clean
renders must pass, so every failure below is caused by its fault alone.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

HERE = Path(__file__).parent
RENDERED = HERE / "rendered"


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_settings", HERE.parent / "check_settings.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def render(name: str) -> Any:
    return copy.deepcopy(json.loads((RENDERED / f"{name}.json").read_text()))


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for obj in objects:
        base = checker.HASH_SUFFIX.sub("", obj["metadata"]["name"]) if kind == "ConfigMap" else None
        if obj["kind"] == kind and name in (obj["metadata"]["name"], base):
            return obj
    raise AssertionError(f"{kind}/{name} not in the render")


def container(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = find(objects, kind, name)["spec"]["template"]["spec"]["containers"][0]
    return spec


@pytest.mark.parametrize("name", ["dev", "production", "compose"])
def test_the_committed_renders_agree_with_the_code(name: str) -> None:
    assert checker.check(name, render(name)) == []


def typo_in_a_variable(objects: list[dict[str, Any]]) -> None:
    data = find(objects, "ConfigMap", "hoso-platform")["data"]
    data["HOSO_KAFKA_BOOTSTRAP_SERVER"] = data.pop("HOSO_KAFKA_BOOTSTRAP_SERVERS")


def missing_secret_key(objects: list[dict[str, Any]]) -> None:
    env = container(objects, "Deployment", "signing")["env"]
    env[:] = [item for item in env if item["name"] != "HOSO_KAFKA_SASL_PASSWORD"]


def misspelt_secret_key(objects: list[dict[str, Any]]) -> None:
    for item in container(objects, "Deployment", "documents")["env"]:
        if item["name"] == "HOSO_S3_SECRET_KEY":
            item["valueFrom"]["secretKeyRef"]["key"] = "secret_key"


def topic_the_code_lacks(objects: list[dict[str, Any]]) -> None:
    container(objects, "Job", "kafka-topics")["command"].append("hoso.eforms.events")


def shell_list_of_topics(objects: list[dict[str, Any]]) -> None:
    container(objects, "Job", "kafka-topics")["command"] = [
        "/bin/bash",
        "/scripts/create-topics.sh",
    ]


def keda_without_authentication(objects: list[dict[str, Any]]) -> None:
    for trigger in find(objects, "ScaledObject", "signing")["spec"]["triggers"]:
        trigger.pop("authenticationRef", None)


def keda_on_an_unknown_topic(objects: list[dict[str, Any]]) -> None:
    for trigger in find(objects, "ScaledObject", "signing")["spec"]["triggers"]:
        if trigger["type"] == "kafka":
            trigger["metadata"]["topic"] = "hoso.signing.approve"


def min_insync_above_replication(objects: list[dict[str, Any]]) -> None:
    find(objects, "ConfigMap", "hoso-platform")["data"]["HOSO_KAFKA_MIN_INSYNC_REPLICAS"] = "4"


def services_create_topics_in_production(objects: list[dict[str, Any]]) -> None:
    find(objects, "ConfigMap", "hoso-platform")["data"]["HOSO_KAFKA_CREATE_TOPICS"] = "true"


def job_kept_forever(objects: list[dict[str, Any]]) -> None:
    del find(objects, "Job", "kafka-topics")["spec"]["ttlSecondsAfterFinished"]


def kafka_logs_at_the_volume_root(objects: list[dict[str, Any]]) -> None:
    data = find(objects, "ConfigMap", "kafka-config")["data"]
    data["server.properties"] = data["server.properties"].replace(
        "log.dirs=/var/lib/kafka/data/kraft", "log.dirs=/var/lib/kafka/data"
    )


def sandbox_ca_reads_a_missing_key(objects: list[dict[str, Any]]) -> None:
    for item in container(objects, "Deployment", "ca")["env"]:
        if item["name"] == "HOSO_CA_VNPT_SP_ID":
            item["valueFrom"]["configMapKeyRef"]["key"] = "HOSO_SIGNING_VNPT_SPID"


Fault = Callable[[list[dict[str, Any]]], None]


@pytest.mark.parametrize(
    ("overlay", "fault", "expected"),
    [
        ("production", typo_in_a_variable, "HOSO_KAFKA_BOOTSTRAP_SERVER is set but no field"),
        ("production", typo_in_a_variable, "setting HOSO_KAFKA_BOOTSTRAP_SERVERS is not provided"),
        ("production", missing_secret_key, "setting HOSO_KAFKA_SASL_PASSWORD is not provided"),
        ("production", missing_secret_key, "needs HOSO_KAFKA_SASL_USERNAME and HOSO_KAFKA_SASL"),
        ("production", misspelt_secret_key, "reads key 'secret_key' of Secret hoso-s3"),
        ("production", topic_the_code_lacks, "hoso.eforms.events is not defined"),
        ("dev", topic_the_code_lacks, "hoso.eforms.events is not defined"),
        ("production", shell_list_of_topics, "must run python -m hoso_common.topics ensure"),
        ("production", keda_without_authentication, "has no TriggerAuthentication"),
        ("production", keda_on_an_unknown_topic, "not a topic of hoso_common.topics"),
        ("production", min_insync_above_replication, "must not exceed"),
        ("production", services_create_topics_in_production, "HOSO_KAFKA_CREATE_TOPICS is for"),
        ("production", job_kept_forever, "set ttlSecondsAfterFinished"),
        ("dev", kafka_logs_at_the_volume_root, "is the root of a volume"),
        ("dev", sandbox_ca_reads_a_missing_key, "HOSO_SIGNING_VNPT_SPID, which is missing"),
    ],
)
def test_a_fault_in_the_manifests_is_rejected(overlay: str, fault: Fault, expected: str) -> None:
    objects = render(overlay)
    fault(objects)
    errors = checker.check(overlay, objects)
    assert any(expected in error for error in errors), errors


def test_a_variable_nothing_reads_in_compose_is_rejected() -> None:
    compose = render("compose")
    compose["services"]["eforms"]["environment"]["HOSO_EFORMS_SIGNING_URL"] = "http://signing:8000"
    errors = checker.check("compose", compose)
    assert any("HOSO_EFORMS_SIGNING_URL is set but no field" in error for error in errors), errors


def test_a_topic_the_code_lacks_in_the_compose_one_shot_is_rejected() -> None:
    compose = render("compose")
    compose["services"]["kafka-topics"]["command"].append("hoso.eforms.events")
    errors = checker.check("compose", compose)
    assert any("hoso.eforms.events is not defined" in error for error in errors), errors


def test_env_names_follow_prefixes_and_aliases() -> None:
    names = checker.env_names(checker.settings_class("signing"))
    assert {"HOSO_SIGNING_WEBHOOK_SECRET", "HOSO_KAFKA_SASL_PASSWORD", "HOSO_ENV"} <= names
    assert "HOSO_SIGNING_KAFKA_SASL_PASSWORD" not in names
