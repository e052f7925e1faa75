"""nginx `location` blocks of the routes (stackctl.routes), for the local and compose gateways.

The two differ only in how a location reaches its upstream (`Proxy`): the local gateway
through `upstream` blocks of 127.0.0.1 ports, compose through Docker's DNS.
"""

from __future__ import annotations

from collections.abc import Callable

import gateway_policy

from .routes import DEFAULT_BODY, Route

# The lines that send a request on: (route, the path the upstream sees) -> lines.
Proxy = Callable[[Route, str], list[str]]


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def location_lines(
    route: Route, proxy: Proxy, indent: str, *, overrides: bool, streaming_body: str = ""
) -> list[str]:
    """The locations of one route: its redirects, itself, and the rewritten OpenAPI pages.

    `overrides`: the local stack's HOSO_GATEWAY_* settings apply (never in a committed render).
    """
    prefix, stem = route.prefix, route.stem
    common = [
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $http_host;",
        "proxy_set_header X-Forwarded-Port $server_port;",
        *([f"proxy_set_header X-Forwarded-Prefix {stem};"] if route.strip_prefix and stem else []),
        "proxy_set_header X-Request-Id $hoso_request_id;",
        # exactly one X-Request-Id in the answer, the one the app saw
        "proxy_hide_header X-Request-Id;",
        "add_header X-Request-Id $hoso_request_id always;",
        *gateway_policy.limit_lines(route.limits, overrides),
    ]
    headers = gateway_policy.security_headers(route.csp)
    page_headers = gateway_policy.security_headers(gateway_policy.PAGE_CSP)
    body = [*proxy(route, "/" if route.strip_prefix else prefix), *common, *headers]
    if route.large_headers:
        body += ["proxy_buffer_size 16k;", "proxy_buffers 8 16k;"]
    if route.streaming:
        body += [
            f"client_max_body_size {streaming_body or route.body};",
            "proxy_request_buffering off;",
            "proxy_buffering off;",
        ]
    elif route.body != DEFAULT_BODY:
        body.append(f"client_max_body_size {route.body};")
    inner = indent + "  "
    lines = [f"{indent}location = {stem} {{ return 301 {prefix}; }}"] if stem else []
    if route.home:
        lines.append(f"{indent}location = {prefix} {{ return 302 {prefix}{route.home}; }}")
    lines += [f"{indent}location {prefix} {{", *(inner + line for line in body), f"{indent}}}"]
    if route.openapi:
        # The apps do not know the prefix the gateway strips: point Swagger UI at the
        # prefixed schema and make "Try it out" call through the gateway.
        for page, needle, replacement, types in [
            ("docs", "'/openapi.json'", f"'{stem}/openapi.json'", "text/html"),
            (
                "openapi.json",
                '{"openapi":',
                f'{{"servers":[{{"url":"{stem}"}}],"openapi":',
                "application/json",
            ),
        ]:
            page_lines = [
                *proxy(route, f"/{page}"),
                *common,
                *(page_headers if page == "docs" else headers),
                'proxy_set_header Accept-Encoding "";',
                *([f"sub_filter_types {types};"] if types != "text/html" else []),
                "sub_filter_once on;",
                f"sub_filter {quote(needle)} {quote(replacement)};",
            ]
            lines += [
                f"{indent}location = {prefix}{page} {{",
                *(inner + line for line in page_lines),
                f"{indent}}}",
            ]
    return lines


def api_fallback_lines(indent: str) -> list[str]:
    return [
        # An API path no service serves is the gateway's own 404 (problem+json); every
        # other unknown path is the portal's page for people.
        f"{indent}location /api/ {{ return 404; }}",
        # The services' /metrics is for the metrics server, which scrapes them directly.
        f"{indent}location ~ ^/api/[^/]+/metrics$ {{ return 404; }}",
    ]
