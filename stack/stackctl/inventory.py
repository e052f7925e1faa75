"""Every part of the local stack in start order, and the choice of parts a command names."""

from __future__ import annotations

import os

from .gateway import Gateway
from .parts import (
    App,
    FerretDB,
    Kafka,
    Keycloak,
    Mailpit,
    MongoLock,
    Part,
    S3Proxy,
    VictoriaMetrics,
    Zipkin,
)
from .settings import (
    CA_PORT,
    DATA,
    GATEWAY_PORT,
    HOST,
    KEYCLOAK_PORT,
    PORTAL_PORT,
    SERVICE_PORTS,
    SIGNING_BASE_PORT,
    SIGNING_REPLICAS,
    SMTP_PORT,
    StackError,
    portal_assets_dir,
)


def all_parts() -> list[Part]:
    parts: list[Part] = [Kafka(), FerretDB(), MongoLock(), S3Proxy(), Keycloak(), Gateway()]
    parts += [VictoriaMetrics(), Zipkin()]  # metrics and traces of the local stack
    parts += [Mailpit()]  # the e-mail the platform sends
    parts += [
        # The CA keeps its keys under .stack/data, so a restart keeps the CA's root (the
        # signing service's trust anchor) the same.
        App(
            "ca",
            "hoso_sandbox_ca",
            CA_PORT,
            "sandbox",
            health="/health/live",
            extra_env={"HOSO_CA_DATA_DIR": str(DATA / "ca")},
        ),
    ]
    service_env = {
        # The gateway admits 110 MB bodies; the vault's own limit follows so that the upload
        # benchmark's 100 MB file fits. The service default (20 MB) applies elsewhere.
        "documents": {
            "HOSO_DOCUMENTS_MAX_UPLOAD_BYTES": os.environ.get(
                "HOSO_DOCUMENTS_MAX_UPLOAD_BYTES", str(110 * 1024 * 1024)
            )
        },
    }
    service_env["notifications"] = {
        "HOSO_NOTIFICATIONS_SMTP_HOST": HOST,
        "HOSO_NOTIFICATIONS_SMTP_PORT": str(SMTP_PORT),
        "HOSO_NOTIFICATIONS_IDP_URL": f"http://{HOST}:{KEYCLOAK_PORT}/auth",
        # the local stack's documented placeholder (refused in production)
        "HOSO_NOTIFICATIONS_IDP_CLIENT_SECRET": "notifications-local-secret",
        "HOSO_NOTIFICATIONS_PORTAL_URL": f"http://{HOST}:{GATEWAY_PORT}",
        "HOSO_NOTIFICATIONS_SMS_PROVIDER": "log",
        # short waits, so that the outage tests see Mailpit's return within seconds
        "HOSO_NOTIFICATIONS_DELIVERY_MAX_BACKOFF_S": "4",
        "HOSO_NOTIFICATIONS_DELIVERY_LEASE_S": "20",
    }
    for name, value in os.environ.items():
        # a test restarts the service with its own delivery settings (tests/faults)
        if name.startswith("HOSO_NOTIFICATIONS_"):
            service_env["notifications"][name] = value
    parts += [
        App(name, f"hoso_{name}", port, "services", extra_env=service_env.get(name, {}))
        for name, port in SERVICE_PORTS.items()
    ]
    parts += [
        App(
            "portal",
            "hoso_portal",
            PORTAL_PORT,
            "services",
            health="/health/live",
            extra_env={
                "HOSO_PORTAL_MAX_UPLOAD_BYTES": service_env["documents"][
                    "HOSO_DOCUMENTS_MAX_UPLOAD_BYTES"
                ],
                # the local stack's documented placeholder (refused in production)
                "HOSO_PORTAL_OIDC_CLIENT_SECRET": os.environ.get(
                    "HOSO_PORTAL_OIDC_CLIENT_SECRET", "portal-local-secret"
                ),
                "HOSO_PORTAL_ASSETS_DIR": str(portal_assets_dir()),
                # FerretDB refuses TTL indexes: the portal purges ended sessions itself
                "HOSO_PORTAL_SESSION_PURGE_INTERVAL_S": "300",
            },
        )
    ]
    parts += [
        App(
            f"signing-{i}",
            "hoso_signing",
            SIGNING_BASE_PORT + i,
            "services",
            extra_env={"HOSO_SIGNING_REPLICA_ID": str(i)},
        )
        for i in range(SIGNING_REPLICAS)
    ]
    return parts


def select(parts: list[Part], only: str | None, without: str | None) -> list[Part]:
    def tokens(raw: str | None) -> list[str]:
        return [t.strip() for t in (raw or "").split(",") if t.strip()]

    names = {t for p in parts for t in (p.name, p.group, p.name.split("-")[0])}
    for token in tokens(only) + tokens(without):
        if token not in names:
            raise StackError(f"unknown part {token!r}; known: {', '.join(sorted(names))}")
    chosen = [p for p in parts if not only or any(p.matches(t) for t in tokens(only))]
    return [p for p in chosen if not any(p.matches(t) for t in tokens(without))]
