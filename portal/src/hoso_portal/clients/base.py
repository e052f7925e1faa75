"""Shared HTTP plumbing of the service clients: bearer token, timeouts, problem+json mapping."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx

from hoso_portal.errors import (
    ApiProblem,
    FieldError,
    LoginRequired,
    NotAllowed,
    PageNotFound,
    ServiceDown,
)
from hoso_portal.upload import Upload

logger = logging.getLogger(__name__)


class TokenRejected(LoginRequired):
    """A service refused the user's access token: the session is over."""


def problem_of(response: httpx.Response) -> ApiProblem:
    """The service's problem details; its Vietnamese `detail` is what the citizen reads."""
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = [
        FieldError(pointer=str(e.get("pointer", "")), message=str(e.get("message", "")))
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]
    known = {"type", "title", "status", "code", "detail", "errors", "instance"}
    return ApiProblem(
        status=response.status_code,
        code=str(body.get("code") or "http_error"),
        detail=str(body.get("detail") or "Yêu cầu không thành công."),
        errors=errors,
        extra={k: v for k, v in body.items() if k not in known},
    )


def raise_for_problem(response: httpx.Response, *, service: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 401:
        raise TokenRejected()
    if status >= 500:
        logger.warning("%s answered %s", service, status)
        raise ServiceDown()
    problem = problem_of(response)
    if status == 403:
        raise NotAllowed(problem.detail)
    if status == 404:
        raise PageNotFound(problem.detail)
    raise problem


class ServiceClient:
    """Calls one service with the user's own access token."""

    service = "service"

    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http

    def _headers(self, token: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": "application/json", **(extra or {})}

    async def request(
        self,
        method: str,
        path: str,
        token: str,
        *,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = self._headers(token, kwargs.pop("headers", None))
        try:
            response = await self.http.request(
                method,
                self.base_url + path,
                headers=headers,
                timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
                **kwargs,
            )
        except httpx.HTTPError as error:
            logger.warning("%s unreachable: %r", self.service, error)
            raise ServiceDown() from error
        raise_for_problem(response, service=self.service)
        return response

    async def stream(self, path: str, token: str) -> Download:
        """GET a file without reading it: the portal passes it on chunk by chunk."""
        request = self.http.build_request(
            "GET", self.base_url + path, headers=self._headers(token, {"Accept": "*/*"})
        )
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError as error:
            logger.warning("%s unreachable: %r", self.service, error)
            raise ServiceDown() from error
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise_for_problem(response, service=self.service)
        return Download(response)

    async def json(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, token, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            raise ServiceDown() from error

    async def forward(self, path: str, token: str, upload: Upload) -> dict[str, Any]:
        """POST a multipart body through as it arrives; the portal never holds the file."""
        result: dict[str, Any] = await self.json(
            "POST",
            path,
            token,
            content=upload.body,
            headers={"Content-Type": upload.content_type},
            timeout_s=upload.timeout_s,
        )
        return result


class Download:
    """A streamed file from a service; the portal passes it on chunk by chunk."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.headers = response.headers

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.aiter_raw():
                yield chunk
        finally:
            await self.response.aclose()
