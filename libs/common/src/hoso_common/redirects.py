"""Keeps the apps' own redirects relative and under the gateway's /api/<service> prefix."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The prefixes the gateway strips (X-Forwarded-Prefix); anything else is ignored.
_PREFIX = re.compile(r"^/api/[a-z][a-z0-9-]{0,30}$")


class RelativeRedirectMiddleware:
    """Rewrites an absolute `Location` to this app into a path that keeps the gateway prefix.

    Starlette's trailing-slash redirect is built from the request's Host header and the path
    the app sees (prefix stripped): behind the gateway it pointed to the client-chosen host
    and lost `/api/<service>`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        forwarded = request_headers.get("x-forwarded-prefix", "")
        prefix = forwarded if _PREFIX.fullmatch(forwarded) else ""
        host = request_headers.get("host", "")

        async def relative(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                headers = MutableHeaders(scope=message)
                if location := headers.get("location"):
                    headers["location"] = relative_location(location, prefix, host)
            await send(message)

        await self.app(scope, receive, relative)


def relative_location(location: str, prefix: str, host: str) -> str:
    """A `location` on `host` as an origin-relative path under `prefix`; others pass unchanged."""
    parts = urlsplit(location)
    if parts.netloc != host or not (parts.scheme or parts.netloc):
        return location
    path = "/" + parts.path.lstrip("/")
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        path = prefix + path
    return path + (f"?{parts.query}" if parts.query else "")
