"""Where the local stack lives, the ports of its parts and the settings every app shares."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / ".stack"
DATA = STACK / "data"
LOGS = STACK / "logs"
CONF = STACK / "conf"
RUN = STACK / "run"
CACHE = Path(os.environ.get("HOSO_CACHE") or Path.home() / ".cache" / "hoso")

KAFKA_LIBS = CACHE / "kafka-4.1.1" / "libs"
S3PROXY_LIBS = CACHE / "s3proxy-2.6.0" / "libs"
FERRETDB_BIN = CACHE / "ferretdb-1.24.2" / "ferretdb"
KEYCLOAK_HOME = CACHE / "keycloak-26.5.6"
REALM_FILE = REPO / "deploy" / "keycloak" / "realm-hoso.json"
THEMES = REPO / "deploy" / "keycloak" / "themes"
VICTORIAMETRICS_BIN = CACHE / "victoriametrics-1.148.8" / "victoria-metrics"
ZIPKIN_JAR = CACHE / "zipkin-3.5.1" / "zipkin-server-3.5.1-exec.jar"
MAILPIT_BIN = CACHE / "mailpit-1.33.1" / "mailpit"
SUPERVISOR_HOME = CACHE / "supervisor-4.3.0"

HOST = "127.0.0.1"
# The local stack's documented placeholders (docs/configuration.md), refused in production.
S3_ACCESS_KEY = "hoso-local"
S3_SECRET_KEY = "hoso-local-secret"  # noqa: S105
KAFKA_SASL_USER = "hoso-local"
KAFKA_SASL_PASSWORD = "hoso-local-secret"  # noqa: S105
# The master realm's administrator, created on the first start; tests and benchmarks use it
# to create their users through the admin REST API (local stack only).
KEYCLOAK_ADMIN = "admin"
KEYCLOAK_ADMIN_PASSWORD = "hoso-local-admin"  # noqa: S105
TAIL_LINES = 30
STOP_GRACE_S = 15.0


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


GATEWAY_PORT = env_int("HOSO_GATEWAY_PORT", 8080)
KAFKA_PORT = env_int("HOSO_KAFKA_PORT", 9092)
# A second listener with SASL/SCRAM-SHA-512, as production Kafka has; the apps keep the
# plaintext one, tests prove the authenticated path (docs/operations.md, "Kafka security").
KAFKA_SASL_PORT = env_int("HOSO_KAFKA_SASL_PORT", KAFKA_PORT + 2)
MONGO_PORT = env_int("HOSO_MONGO_PORT", 27017)
# FerretDB itself listens here, behind stack/mongo_write_lock.py (see docs/decisions.md)
FERRETDB_PORT = env_int("HOSO_FERRETDB_PORT", MONGO_PORT + 1)
S3_PORT = env_int("HOSO_S3_PORT", 9000)
KEYCLOAK_PORT = env_int("HOSO_KEYCLOAK_PORT", 8180)
KEYCLOAK_MANAGEMENT_PORT = env_int("HOSO_KEYCLOAK_MANAGEMENT_PORT", KEYCLOAK_PORT + 1)
CA_PORT = env_int("HOSO_CA_PORT", 8091)
METRICS_PORT = env_int("HOSO_METRICS_PORT", 8428)
ZIPKIN_PORT = env_int("HOSO_ZIPKIN_PORT", 9411)
MAILPIT_PORT = env_int("HOSO_MAILPIT_PORT", 8025)
SMTP_PORT = env_int("HOSO_SMTP_PORT", 1025)
SIGNING_REPLICAS = env_int("SIGNING_REPLICAS", 2)
GATEWAY_MAX_BODY = os.environ.get("HOSO_GATEWAY_MAX_BODY", "110m")

SERVICE_PORTS = {"documents": 8101, "eforms": 8102, "submission": 8104, "notifications": 8105}
# Browsers and services see one issuer: Keycloak behind the gateway under /auth.
PUBLIC_AUTH_URL = f"http://{HOST}:{GATEWAY_PORT}/auth"
OIDC_ISSUER = f"{PUBLIC_AUTH_URL}/realms/hoso"
SIGNING_BASE_PORT = 8130
PORTAL_PORT = env_int("HOSO_PORTAL_PORT", 8100)


class StackError(Exception):
    """A problem the person running the stack must fix; printed as `error: ...`."""


def out(message: str = "") -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def portal_assets_dir() -> Path:
    """The portal's npm assets, in the folder stack/install.sh made for this package.json."""
    pins = (REPO / "portal" / "assets" / "package.json").read_bytes()
    return CACHE / f"portal-assets-{hashlib.sha256(pins).hexdigest()[:16]}" / "node_modules"


def shared_env() -> dict[str, str]:
    """What every app process gets on top of supervisord's environment (docs/configuration.md).

    The caller's own value wins for the few settings a developer or a test may change.
    """
    caller = os.environ
    return {
        "HOSO_KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{KAFKA_PORT}",
        # Only here do services create missing topics (the topics Job does elsewhere).
        "HOSO_KAFKA_CREATE_TOPICS": "true",
        "HOSO_MONGO_URL": f"mongodb://{HOST}:{MONGO_PORT}/",
        # FerretDB skips empty outboxes undecoded only when the scan asks `outbox != []`
        "HOSO_MONGO_OUTBOX_PREFILTER": "true",
        "HOSO_S3_ENDPOINT": f"{HOST}:{S3_PORT}",
        "HOSO_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "HOSO_S3_SECRET_KEY": S3_SECRET_KEY,
        "HOSO_S3_SECURE": "false",
        "HOSO_S3_REGION": caller.get("HOSO_S3_REGION", "us-east-1"),
        "HOSO_OIDC_ISSUER": OIDC_ISSUER,
        # keys straight from Keycloak: the services do not depend on the gateway
        "HOSO_OIDC_JWKS_URL": f"http://{HOST}:{KEYCLOAK_PORT}/auth/realms/hoso"
        "/protocol/openid-connect/certs",
        "PYTHONUNBUFFERED": "1",
        # Traces go to the stack's Zipkin unless the caller points them elsewhere ("" = none).
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": caller.get(
            "OTEL_EXPORTER_ZIPKIN_ENDPOINT", f"http://{HOST}:{ZIPKIN_PORT}/api/v2/spans"
        ),
        "HOSO_ENV": caller.get("HOSO_ENV", "development"),
        "HOSO_OIDC_AUDIENCE": caller.get("HOSO_OIDC_AUDIENCE", "hoso"),
        "HOSO_LOG_LEVEL": caller.get("HOSO_LOG_LEVEL", "INFO"),
    }


def require(path: Path, what: str) -> None:
    if not path.exists():
        raise StackError(f"{what} not found at {path}; run `make install` (stack/install.sh)")


def java_bin() -> str:
    return shutil.which("java") or "java"


def nginx_bin() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def venv_bin(name: str) -> Path:
    """A program of the workspace's venv (uv sync made it)."""
    return REPO / ".venv" / "bin" / name


class LogFile:
    """Append to a part's log, starting with a banner line so each run is easy to find."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self.fd = -1

    def __enter__(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(self.fd, f"===== {stamp} hoso_stack: {self.what} =====\n".encode())
        return self.fd

    def __exit__(self, *_exc: object) -> None:
        os.close(self.fd)


def tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))
            data = handle.read().decode(errors="replace")
    except OSError:
        return []
    return data.splitlines()[-lines:]
