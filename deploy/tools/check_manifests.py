"""Check rendered Kubernetes manifests against the rules the schemas cannot express.

kubeconform proves each object is well-formed; this proves the set is what hoso needs:

* no Secret objects and no secret-looking literal values (env or ConfigMap);
* every workload runs non-root with seccomp RuntimeDefault, and every container drops ALL
  capabilities, forbids privilege escalation, has a read-only root with /tmp on an
  emptyDir, and declares resource requests and limits;
* long-running containers have liveness and readiness probes;
* each service has a Service and a PodDisruptionBudget;
* signing autoscales (HPA autoscaling/v2 or KEDA) from >= 2 to no more replicas than
  the signing topics have partitions, and the topics Job exists;
* NetworkPolicies deny by default and allow DNS;
* the Ingress routes every /api/<service> prefix with rewrite-target and body-size
  limits, upload routes stream, and production Ingresses have TLS;
* the dev build runs the data stores in-cluster, the production build does not;
* the dev build runs Keycloak with the repository's realm (deploy/keycloak/realm-hoso.json);
  the phone page's client (sandbox-ca-phone) uses the code flow with PKCE S256 and exact
  redirect URIs; the production build trusts an external HTTPS issuer and carries no
  Keycloak, no demo user and no trace of the sandbox clients (hoso-tests, sandbox-ca-phone).

Usage: check_manifests.py <name>=<rendered.yaml>...   (name: base, dev or production)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

SERVICES = ("documents", "eforms", "signing", "submission")
DATASTORES = ("kafka", "mongo", "minio")
UPLOAD_ROUTES = {"documents": "110m", "submission": "110m", "eforms": "25m", "signing": "25m"}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|PRIVATE|_KEY$)", re.I)
# Variables whose names look secret but which carry none.
NOT_SECRET = {"HOSO_S3_ACCESS_KEY"}
REALM_FILE = Path(__file__).resolve().parents[1] / "keycloak" / "realm-hoso.json"
TEST_CLIENT = "hoso-tests"
PHONE_CLIENT = "sandbox-ca-phone"
# Clients of the local stack and the dev sandbox only: production never names them.
SANDBOX_CLIENTS = (TEST_CLIENT, PHONE_CLIENT)


def keycloak_errors(name: str, objects: list[dict[str, Any]]) -> list[str]:
    """Keycloak and its realm in dev; in production only the external issuer's address."""
    realm = json.loads(REALM_FILE.read_text())
    demo_users = [u["username"] for u in realm.get("users", [])]
    clients = {c["clientId"]: c for c in realm.get("clients", [])}
    errors: list[str] = []
    if any(c not in clients for c in ("portal", *SANDBOX_CLIENTS)):
        errors.append(f"{REALM_FILE.name}: clients portal, {', '.join(SANDBOX_CLIENTS)} expected")
    portal = clients.get("portal", {})
    if portal.get("publicClient") or portal.get("implicitFlowEnabled"):
        errors.append("portal must be confidential, without the implicit flow")
    phone = clients.get(PHONE_CLIENT, {})
    if phone.get("implicitFlowEnabled") or phone.get("directAccessGrantsEnabled"):
        errors.append(f"{PHONE_CLIENT} must use the code flow only")
    for client_id, client in (("portal", portal), (PHONE_CLIENT, phone)):
        if client.get("attributes", {}).get("pkce.code.challenge.method") != "S256":
            errors.append(f"{client_id} must require PKCE S256")
        if any("*" in uri for uri in client.get("redirectUris", [])):
            errors.append(f"{client_id} redirect URIs must be exact")
    deployments = {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"}
    configmaps = {base_name(o): o for o in objects if o["kind"] == "ConfigMap"}
    platform = configmaps.get("hoso-platform", {}).get("data", {})
    if name == "dev":
        if "keycloak" not in deployments:
            errors.append("dev must run Keycloak (sandbox component)")
        shipped = configmaps.get("keycloak-realm", {}).get("data", {}).get(REALM_FILE.name)
        if shipped is None or json.loads(shipped) != realm:
            errors.append(f"dev: ConfigMap keycloak-realm must carry {REALM_FILE.name} as is")
    if name == "production":
        if "keycloak" in deployments or "keycloak-realm" in configmaps:
            errors.append("production must not run Keycloak: it trusts the external issuer")
        rendered = yaml.safe_dump_all(objects)
        # "admin" is also a MongoDB authSource: the demo usernames with a dash are distinctive
        for word in (*SANDBOX_CLIENTS, *(u for u in demo_users if "-" in u)):
            if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", rendered):
                errors.append(f"production contains {word!r} (test client or demo user)")
        for key in ("HOSO_OIDC_ISSUER", "HOSO_OIDC_JWKS_URL"):
            if not platform.get(key, "").startswith("https://"):
                errors.append(f"production {key} must be an external https:// URL")
    return errors


def base_name(obj: dict[str, Any]) -> str:
    """Generated ConfigMaps carry a hash suffix; rules look them up by their base name."""
    name = obj["metadata"]["name"]
    if obj["kind"] == "ConfigMap":
        return re.sub(r"-[a-z0-9]{10}$", "", name)
    return name


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def workload_errors(obj: dict[str, Any]) -> list[str]:
    where = f"{obj['kind']}/{obj['metadata']['name']}"
    spec = pod_spec(obj)
    errors: list[str] = []
    pod_sc = spec.get("securityContext", {})
    if pod_sc.get("runAsNonRoot") is not True:
        errors.append(f"{where}: pod securityContext.runAsNonRoot must be true")
    if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        errors.append(f"{where}: pod seccompProfile must be RuntimeDefault")
    emptydirs = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    long_running = obj["kind"] != "Job"
    for container in spec.get("initContainers", []) + spec["containers"]:
        at = f"{where} container {container['name']}"
        sc = container.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            errors.append(f"{at}: allowPrivilegeEscalation must be false")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            errors.append(f"{at}: must drop ALL capabilities")
        if sc.get("readOnlyRootFilesystem") is not True:
            errors.append(f"{at}: readOnlyRootFilesystem must be true")
        tmp = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
        if not tmp or tmp[0]["name"] not in emptydirs:
            errors.append(f"{at}: /tmp must be an emptyDir (the root filesystem is read-only)")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    errors.append(f"{at}: missing resources.{kind}.{resource}")
        if long_running:
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in container:
                    errors.append(f"{at}: missing {probe}")
        for env in container.get("env", []):
            secret = SECRET_NAME.search(env["name"]) and env["name"] not in NOT_SECRET
            if secret and "value" in env:
                errors.append(f"{at}: {env['name']} is a literal; use a secretKeyRef")
    return errors


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def build_errors(name: str, objects: list[dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[base_name(obj)] = obj

    if "Secret" in by_kind:
        errors.append(f"Secret objects are inlined: {sorted(by_kind['Secret'])}")
    for cm_name, cm in by_kind.get("ConfigMap", {}).items():
        for key in cm.get("data", {}):
            if SECRET_NAME.search(key):
                errors.append(f"ConfigMap/{cm_name}: {key} looks secret; keep it in a Secret")

    for kind in WORKLOADS:
        for obj in by_kind.get(kind, {}).values():
            errors += workload_errors(obj)

    deployments = by_kind.get("Deployment", {})
    for svc in SERVICES:
        deployment = deployments.get(svc)
        if deployment is None:
            errors.append(f"Deployment/{svc} missing")
            continue
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if svc not in by_kind.get("Service", {}):
            errors.append(f"Service/{svc} missing")
        if not any(
            selects(p["spec"]["selector"], labels)
            for p in by_kind.get("PodDisruptionBudget", {}).values()
        ):
            errors.append(f"Deployment/{svc} has no PodDisruptionBudget")

    platform = by_kind.get("ConfigMap", {}).get("hoso-platform", {}).get("data", {})
    partitions = int(platform.get("HOSO_KAFKA_SIGNING_PARTITIONS", "0"))
    hpa = by_kind.get("HorizontalPodAutoscaler", {}).get("signing")
    keda = by_kind.get("ScaledObject", {}).get("signing")
    if bool(hpa) == bool(keda):
        errors.append("signing needs exactly one autoscaler (HPA or KEDA ScaledObject)")
    if hpa:
        low, high = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
        if hpa["apiVersion"] != "autoscaling/v2":
            errors.append("HPA signing must use autoscaling/v2")
        metrics = hpa["spec"].get("metrics", [])
        if not any(m.get("resource", {}).get("name") == "cpu" for m in metrics):
            errors.append("HPA signing must scale on CPU")
    else:
        low, high = (
            (keda or {}).get("spec", {}).get("minReplicaCount", 0),
            (keda or {}).get("spec", {}).get("maxReplicaCount", 100),
        )
    if low < 2:
        errors.append(f"signing autoscaler min {low} < 2")
    if high > partitions:
        errors.append(
            f"signing autoscaler max {high} > HOSO_KAFKA_SIGNING_PARTITIONS {partitions}: "
            "replicas beyond the partition count would get no work"
        )
    if deployments.get("signing", {}).get("spec", {}).get("replicas") is not None:
        errors.append("Deployment/signing sets replicas; the autoscaler owns that field")
    if "kafka-topics" not in by_kind.get("Job", {}):
        errors.append("Job/kafka-topics missing")

    policies = by_kind.get("NetworkPolicy", {}).values()
    if not any(
        p["spec"].get("podSelector") == {}
        and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
        for p in policies
    ):
        errors.append("no default-deny NetworkPolicy (ingress and egress)")
    if not any(
        any(
            port.get("port") == 53
            for rule in p["spec"].get("egress", [])
            for port in rule.get("ports", [])
        )
        for p in policies
    ):
        errors.append("no NetworkPolicy allows DNS")

    routes: dict[str, tuple[str, dict[str, str]]] = {}
    for ingress in by_kind.get("Ingress", {}).values():
        if ingress["spec"].get("ingressClassName") != "nginx":
            errors.append(f"Ingress/{ingress['metadata']['name']}: ingressClassName must be nginx")
        annotations = ingress["metadata"].get("annotations", {})
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                routes[path["path"]] = (path["backend"]["service"]["name"], annotations)
    for svc, body in UPLOAD_ROUTES.items():
        route = routes.get(f"/api/{svc}(/|$)(.*)")
        if not route or route[0] != svc:
            errors.append(f"Ingress: no route /api/{svc} -> {svc}")
            continue
        annotations = route[1]
        if annotations.get("nginx.ingress.kubernetes.io/rewrite-target") != "/$2":
            errors.append(f"Ingress: /api/{svc} must strip its prefix (rewrite-target /$2)")
        if annotations.get("nginx.ingress.kubernetes.io/proxy-body-size") != body:
            errors.append(f"Ingress: /api/{svc} proxy-body-size must be {body}")
        streams = annotations.get("nginx.ingress.kubernetes.io/proxy-request-buffering") == "off"
        if body != "25m" and not streams:
            errors.append(f"Ingress: /api/{svc} must stream uploads (proxy-request-buffering off)")

    for ingress_name, ingress in by_kind.get("Ingress", {}).items():
        annotations = ingress["metadata"].get("annotations", {})
        if annotations.get("nginx.ingress.kubernetes.io/default-backend") != "gateway-errors":
            errors.append(f"Ingress/{ingress_name}: errors must come from gateway-errors")
        if "429" not in annotations.get("nginx.ingress.kubernetes.io/custom-http-errors", ""):
            errors.append(f"Ingress/{ingress_name}: custom-http-errors must include 429")
    limited = " ".join(
        path
        for path, (_, annotations) in routes.items()
        if annotations.get("nginx.ingress.kubernetes.io/limit-rps")
    )
    for action in ("v1/documents)", "/upload)", "/sign)", "/submit)"):
        if action not in limited:
            errors.append(f"Ingress: no per-client rate limit on {action.rstrip(')')}")
    if "Deployment" in by_kind and "gateway-errors" not in by_kind["Deployment"]:
        errors.append("Deployment/gateway-errors (the Ingress's problem+json errors) missing")

    statefulsets = set(by_kind.get("StatefulSet", {}))
    if name == "dev" and not set(DATASTORES) <= statefulsets:
        errors.append(f"dev must run {DATASTORES} in-cluster, has {sorted(statefulsets)}")
    if name == "production":
        if statefulsets & set(DATASTORES):
            errors.append(f"production must not run in-cluster data stores: {sorted(statefulsets)}")
        if platform.get("HOSO_ENV") != "production":
            errors.append("production must set HOSO_ENV=production")
        for ingress in by_kind.get("Ingress", {}).values():
            if not ingress["spec"].get("tls"):
                errors.append(f"production Ingress/{ingress['metadata']['name']} has no TLS")
            annotations = ingress["metadata"].get("annotations", {})
            if annotations.get("nginx.ingress.kubernetes.io/force-ssl-redirect") != "true":
                errors.append(f"production Ingress/{ingress['metadata']['name']}: HTTPS only")
    return errors


def keycloak_self_test() -> bool:
    """The production rule must see a sandbox client slipped into any object."""
    platform = {
        "kind": "ConfigMap",
        "metadata": {"name": "hoso-platform"},
        "data": {"HOSO_OIDC_ISSUER": "https://sso", "HOSO_OIDC_JWKS_URL": "https://sso/k"},
    }
    clean = keycloak_errors("production", [platform])
    for client in SANDBOX_CLIENTS:
        leaked = {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"c": f"[{client}]"}}
        if not keycloak_errors("production", [platform, leaked]):
            return False
    return not clean


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write(__doc__ or "")
        return 2
    if not keycloak_self_test():
        print("self-test FAILED: the production rule misses a leaked sandbox client")
        return 1
    failed = 0
    for arg in argv[1:]:
        name, _, path = arg.partition("=")
        objects = [o for o in yaml.safe_load_all(Path(path).read_text()) if o]
        errors = build_errors(name, objects)
        if name in ("dev", "production"):
            errors += keycloak_errors(name, objects)
        for error in errors:
            print(f"  {name}: {error}")
        verdict = f"FAILED, {len(errors)} problems" if errors else "rules hold"
        print(f"{name}: {len(objects)} objects, {verdict}")
        failed += bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
