"""The gateway routes, defined once, rendered for the local stack, compose and Kubernetes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gateway_policy
from stackctl import renders
from stackctl.gateway import Gateway
from stackctl.routes import ROUTES


def _ingresses(place: str) -> dict[str, dict[str, object]]:
    docs = yaml.safe_load_all(renders.ingress_yaml(place))
    return {doc["metadata"]["name"]: doc for doc in docs if doc}


def test_every_route_reaches_its_upstream_in_each_gateway_that_has_it() -> None:
    local = Gateway().render()
    compose = renders.compose_conf()
    for route in ROUTES:
        assert f"location {route.prefix} {{" in local, route.prefix
        assert (f"location {route.prefix} {{" in compose) == route.compose, route.prefix
        if route.compose:
            assert f"set $upstream {route.upstream}:{route.port};" in compose
        for place in ("base", "sandbox"):
            ingress = _ingresses(place).get(f"hoso-{route.upstream}")
            assert (ingress is not None) == (route.k8s == place), (route.prefix, place)


def test_body_limits_and_streaming_agree_between_compose_and_the_ingress() -> None:
    ingresses = {**_ingresses("base"), **_ingresses("sandbox")}
    for route in ROUTES:
        if route.k8s is None:
            continue
        annotations = ingresses[f"hoso-{route.upstream}"]["metadata"]["annotations"]  # type: ignore[index]
        assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == route.body
        streams = annotations.get("nginx.ingress.kubernetes.io/proxy-request-buffering") == "off"
        assert streams == route.streaming, route.prefix


def test_every_rate_limited_action_has_a_limited_ingress_and_a_gateway_match() -> None:
    ingresses = _ingresses("base")
    compose = renders.compose_conf()
    for action in gateway_policy.ACTIONS:
        ingress = ingresses[f"hoso-limit-{action.zone}-{action.service}"]
        annotations = ingress["metadata"]["annotations"]  # type: ignore[index]
        zone = {z.name: z for z in gateway_policy.limit_zones(overrides=False)}[action.zone]
        assert annotations["nginx.ingress.kubernetes.io/limit-rps"] == str(zone.per_second)
        paths = [p["path"] for p in ingress["spec"]["rules"][0]["http"]["paths"]]  # type: ignore[index]
        assert action.ingress_path in paths
        assert f'"{action.nginx_match}" $binary_remote_addr;' in compose


def test_local_settings_never_reach_the_committed_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    committed = renders.renders()
    monkeypatch.setenv("HOSO_GATEWAY_LIMIT_UPLOAD", "1r/s 1")
    assert renders.renders() == committed
    assert "zone=upload:10m rate=1r/s;" in Gateway().render()
