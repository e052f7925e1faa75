"""The gateway's own answers and limits: problem+json errors, security headers, rate limits.

Rendered with the routes of stackctl/routes.py into the local stack's nginx.conf, into
deploy/nginx/gateway.conf (docker compose) and, through ingress-nginx annotations, into the
Kubernetes Ingress; `make deploy-check` checks the committed renders agree.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

PROBLEM_BASE = "https://hoso.gov.vn/problems/"

# status -> (code, title, Vietnamese detail). 494 is nginx's "request header too large",
# sent to the client as 400.
PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Bad request", "Yêu cầu không hợp lệ."),
    494: (
        "header_too_large",
        "Request header too large",
        "Phần đầu (header) hoặc cookie của yêu cầu quá lớn.",
    ),
    404: ("not_found", "Not found", "Không tìm thấy địa chỉ yêu cầu."),
    405: ("method_not_allowed", "Method not allowed", "Phương thức không được hỗ trợ."),
    408: ("request_timeout", "Request timeout", "Yêu cầu gửi quá chậm nên đã bị ngắt."),
    413: (
        "payload_too_large",
        "Payload too large",
        "Nội dung gửi lên vượt quá dung lượng cho phép.",
    ),
    414: ("uri_too_long", "URI too long", "Địa chỉ yêu cầu quá dài."),
    429: (
        "too_many_requests",
        "Too many requests",
        "Bạn đã gửi quá nhiều yêu cầu. Vui lòng chờ giây lát rồi thử lại.",
    ),
    500: ("internal_error", "Internal error", "Hệ thống đang gặp sự cố. Vui lòng thử lại sau."),
    502: (
        "bad_gateway",
        "Bad gateway",
        "Dịch vụ không phản hồi đúng. Vui lòng thử lại sau ít phút.",
    ),
    503: (
        "service_unavailable",
        "Service unavailable",
        "Dịch vụ tạm thời không khả dụng. Vui lòng thử lại sau.",
    ),
    504: ("gateway_timeout", "Gateway timeout", "Dịch vụ phản hồi quá lâu. Vui lòng thử lại sau."),
}
RETRY_AFTER_S = 1
RETRY_AFTER = {429, 503}

# JSON APIs: nothing to load, nothing to frame.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Pages (Swagger UI from its CDN, the sandbox pages): their own scripts and styles only.
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Action:
    """A costly request that a rate-limit zone counts: a method and a path under /api/<service>/.

    `{id}` stands for one path segment. The local and compose gateways match it in a map of
    "$request_method $request_uri"; the Kubernetes Ingress routes it through an Ingress of
    its own that carries the limit (stackctl.routes renders both).
    """

    zone: str
    service: str
    path: str
    method: str = "POST"

    @property
    def nginx_match(self) -> str:
        path = self.path.replace("{id}", "[^/?]+")
        return rf"~^{self.method} /api/{self.service}/{path}/?(\?|$)"

    @property
    def ingress_path(self) -> str:
        return rf"/api/{self.service}(/)({self.path.replace('{id}', '[^/]+')})$"


# What each zone counts (login counts every POST to the IdP's route, see limit_zones).
ACTIONS = (
    Action("upload", "documents", "v1/documents"),
    Action("upload", "submission", "v1/dossiers/{id}/components/{id}/upload"),
    Action("upload", "submission", "v1/dossiers/{id}/result"),
    Action("sign", "documents", "v1/documents/{id}/sign"),
    Action("sign", "eforms", "v1/forms/{id}/sign"),
    Action("sign", "submission", "v1/dossiers/{id}/result/sign"),
    Action("submit", "submission", "v1/dossiers/{id}/submit"),
)


@dataclass(frozen=True)
class LimitZone:
    """Per-client request rate for one kind of costly request, keyed by the client address."""

    name: str
    rate: str
    burst: int
    # "METHOD URI" patterns (nginx regex on "$request_method $request_uri") that count.
    matches: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"$hoso_limit_{self.name}"

    @property
    def per_second(self) -> int:
        return int(self.rate.removesuffix("r/s"))


def _zone(name: str, rate: str, burst: int, overrides: bool) -> LimitZone:
    # HOSO_GATEWAY_LIMIT_<NAME>="<rate> <burst>" overrides, e.g. "5r/s 10" (local stack only).
    override = os.environ.get(f"HOSO_GATEWAY_LIMIT_{name.upper()}", "").split()
    if overrides and len(override) == 2:
        rate, burst = override[0], int(override[1])
    matches = tuple(action.nginx_match for action in ACTIONS if action.zone == name)
    return LimitZone(name, rate, burst, matches or ("~^POST ",))


def limit_zones(overrides: bool = True) -> list[LimitZone]:
    """The limits: high enough for the test suite and the fault scenarios (40 flows at once).

    `overrides=False` gives the committed values (the compose and Kubernetes renders).
    """
    return [
        # Attached to the login route (the IdP) with `limits=("login",)`; any POST there counts.
        _zone("login", "10r/s", 50, overrides),
        _zone("upload", "20r/s", 100, overrides),
        _zone("sign", "20r/s", 100, overrides),
        _zone("submit", "10r/s", 50, overrides),
    ]


# Zones every location applies (login is attached per route).
SERVER_ZONES = ("upload", "sign", "submit")


def problem_body(status: int) -> str:
    code, title, detail = PROBLEMS[status]
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": 400 if status == 494 else status,
        "code": code,
        "detail": detail,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def nginx_quote(text: str) -> str:
    """`text` as a single-quoted nginx string ending in a newline (nginx's own escape)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "\\n'"


def security_headers(csp: str | None) -> list[str]:
    """add_header lines; every location that adds a header must repeat them (nginx)."""
    lines = [
        "add_header X-Content-Type-Options nosniff always;",
        "add_header Referrer-Policy no-referrer always;",
        "add_header X-Frame-Options DENY always;",
    ]
    if csp:
        lines.append(f'add_header Content-Security-Policy "{csp}" always;')
    return lines


def http_lines(overrides: bool = True) -> list[str]:
    """Inside `http {}`: no version in Server, the limit zones and what counts in each."""
    lines = ["server_tokens off;", "limit_req_status 429;", "limit_req_log_level warn;"]
    for zone in limit_zones(overrides):
        lines.append(f'map "$request_method $request_uri" {zone.key} {{')
        lines += [f'  "{pattern}" $binary_remote_addr;' for pattern in zone.matches]
        lines += ['  default "";', "}"]
        lines.append(f"limit_req_zone {zone.key} zone={zone.name}:10m rate={zone.rate};")
    return lines


def limit_lines(names: tuple[str, ...], overrides: bool = True) -> list[str]:
    zones = {zone.name: zone for zone in limit_zones(overrides)}
    return [f"limit_req zone={name} burst={zones[name].burst} nodelay;" for name in names]


def server_lines(request_id: str, overrides: bool = True) -> list[str]:
    """Inside `server {}`: relative redirects, the limits and nginx's own errors as problems."""
    lines = ["absolute_redirect off;", *limit_lines(SERVER_ZONES, overrides)]
    for status in PROBLEMS:
        target = "=400 " if status == 494 else ""
        lines.append(f"error_page {status} {target}/_hoso/problems/{status};")
    return lines + problem_locations(request_id)


def problem_locations(request_id: str) -> list[str]:
    """One internal location per problem the gateway answers itself."""
    lines: list[str] = []
    for status in PROBLEMS:
        sent = 400 if status == 494 else status
        lines += [
            f"location = /_hoso/problems/{status} {{",
            "  internal;",
            "  default_type application/problem+json;",
            *(f"  {line}" for line in security_headers(API_CSP)),
            f"  add_header X-Request-Id {request_id} always;",
            *(
                [f"  add_header Retry-After {RETRY_AFTER_S} always;"]
                if status in RETRY_AFTER
                else []
            ),
            f"  return {sent} {nginx_quote(problem_body(status))};",
            "}",
        ]
    return lines


def error_backend_conf() -> str:
    """nginx server of the Kubernetes Ingress's error backend (ingress-nginx custom errors).

    ingress-nginx sends the status it intercepted in X-Code; without one, no route matched.
    """
    codes = "\n".join(f'  "{status}" {status};' for status in PROBLEMS if status != 494)
    lines = [
        "# Generated by stack/gateway_policy.py (error_backend_conf); edit the generator.",
        "map $http_x_code $hoso_code {",
        "  default 404;",
        codes,
        "}",
        "server {",
        "  listen 8080;",
        "  server_tokens off;",
        "  location = /healthz {",
        "    access_log off;",
        "    default_type text/plain;",
        '    return 200 "ok\\n";',
        "  }",
        "  location / {",
        "    rewrite ^ /_hoso/problems/$hoso_code last;",
        "  }",
        *(f"  {line}" for line in problem_locations("$http_x_request_id")),
        "}",
        "",
    ]
    return "\n".join(lines)
