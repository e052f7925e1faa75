"""The gateway's routes, defined once: paths, upstreams, body limits, streaming, limits, headers.

Rendered into the local stack's nginx (stackctl.gateway), into compose's nginx
(deploy/nginx/gateway.conf) and into the Kubernetes Ingress (deploy/k8s/base/ingress.yaml,
deploy/k8s/components/sandbox/ingress.yaml) by stackctl.renders; `make deploy-check`
fails when a committed render differs from this definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import gateway_policy

# The body limit of every route that sets none: JSON APIs and forms.
DEFAULT_BODY = "25m"
# Uploads, downloads and the portal's live notices (Server-Sent Events) stay open this long.
READ_TIMEOUT_S = 300
CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Route:
    prefix: str
    # The local nginx upstream, compose's host and the Kubernetes Service of the route.
    upstream: str
    # The upstream's port in compose and Kubernetes (the local ports are the stack's).
    port: int
    # Said above the route in the renders: what is behind it.
    note: str
    body: str = DEFAULT_BODY
    # Uploads and downloads stream through instead of being spooled by the gateway.
    streaming: bool = False
    # Swagger UI and the schema are rewritten to the prefixed path (nginx gateways only).
    openapi: bool = False
    # False: the upstream serves under the same prefix (Keycloak's /auth, Mailpit's /mail)
    strip_prefix: bool = True
    home: str = ""  # where the bare prefix sends a browser (a UI's start page)
    # Rate-limit zones of this route only (gateway_policy.limit_zones), e.g. ("login",).
    limits: tuple[str, ...] = ()
    # None leaves the upstream's own Content-Security-Policy (an IdP's login pages).
    csp: str | None = gateway_policy.API_CSP
    # Keycloak's login answers carry large cookies and headers.
    large_headers: bool = False
    compose: bool = True
    # "base", "sandbox" (deploy/k8s/components/sandbox) or None: not routed by the Ingress.
    k8s: str | None = "base"

    @property
    def stem(self) -> str:
        return self.prefix.rstrip("/")


ROUTES = (
    Route(
        "/api/documents/",
        "documents",
        8000,
        "The citizen's vault: uploads up to 110m (multipart overhead included).",
        body="110m",
        streaming=True,
        openapi=True,
    ),
    Route("/api/eforms/", "eforms", 8000, "E-forms (JSON, rendered PDFs).", openapi=True),
    Route(
        "/api/submission/",
        "submission",
        8000,
        "Dossiers: components uploaded from the computer, up to 110m.",
        body="110m",
        streaming=True,
        openapi=True,
    ),
    Route(
        "/api/notifications/",
        "notifications",
        8000,
        "Notifications (JSON): the person's own list, unread count, mark read.",
        body="1m",
        openapi=True,
    ),
    Route(
        "/api/signing/",
        "signing",
        8000,
        "Signing, validation, and the CA providers' webhook callbacks.",
        openapi=True,
    ),
    Route(
        "/auth/",
        "keycloak",
        8080,
        "Keycloak, the national-SSO stand-in: login pages, tokens, keys (issuer "
        ".../auth/realms/hoso). Its pages bring their own Content-Security-Policy; login "
        "attempts are limited per client.",
        strip_prefix=False,
        limits=("login",),
        csp=None,
        large_headers=True,
        k8s="sandbox",
    ),
    Route(
        "/ca/",
        "ca",
        8091,
        "The sandbox CA (provider APIs, the citizen's phone page, TSA/OCSP/CRL).",
        csp=gateway_policy.PAGE_CSP,
        k8s="sandbox",
    ),
    Route(
        "/metrics-ui/",
        "victoriametrics",
        8428,
        "The local stack's metrics UI.",
        home="vmui/",
        csp=gateway_policy.PAGE_CSP,
        compose=False,
        k8s=None,
    ),
    Route(
        "/traces/",
        "zipkin",
        9411,
        "The local stack's traces UI.",
        home="zipkin/",
        csp=gateway_policy.PAGE_CSP,
        compose=False,
        k8s=None,
    ),
    Route(
        "/mail/",
        "mailpit",
        8025,
        "Mailpit, the local SMTP server's mailbox (served under /mail/ itself, --webroot; "
        "it sets its own policy).",
        strip_prefix=False,
        csp=None,
        large_headers=True,
        k8s=None,
    ),
    # Last: the Ingress and nginx pick the longest prefix, the renders keep this order.
    Route(
        "/",
        "portal",
        8000,
        "Everything else is the citizen portal. It sets its own Content-Security-Policy (no "
        "inline script). Its uploads stream through to the vault; its live notices "
        "(Server-Sent Events) are never buffered.",
        body="110m",
        streaming=True,
        csp=None,
    ),
)
