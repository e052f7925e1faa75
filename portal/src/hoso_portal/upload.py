"""Check the CSRF token at the head of a multipart upload, then pass the rest on unread.

The upload form puts `csrf_token` first, and browsers send fields in document order. So the
token is in the first few hundred bytes: the portal reads only those, checks the token, and
forwards the remaining parts (the file among them) to the service chunk by chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from fastapi import Request

from hoso_common.multipart import MalformedForm, multipart_boundary
from hoso_portal.errors import CsrfRefused
from hoso_portal.security import same_token

CSRF_FIELD = "csrf_token"
HEAD_LIMIT = 16 * 1024


class MalformedUpload(Exception):
    """The body is not the multipart form the page sends."""


@dataclass(frozen=True)
class Upload:
    """A checked multipart body on its way to a service; the portal never holds the file."""

    content_type: str
    body: AsyncIterable[bytes]
    timeout_s: float


async def checked_upload(request: Request, csrf: str, timeout_s: float) -> Upload:
    """The request's upload once the token at its head is the session's; CsrfRefused if not."""
    content_type = request.headers.get("content-type")
    try:
        token, rest = await split_csrf(content_type, request.stream())
    except MalformedUpload as error:
        raise CsrfRefused() from error
    if not same_token(csrf, token):
        raise CsrfRefused()
    return Upload(content_type=str(content_type), body=rest, timeout_s=timeout_s)


def boundary_of(content_type: str | None) -> bytes:
    try:
        return multipart_boundary(content_type)
    except MalformedForm as error:
        raise MalformedUpload(str(error)) from error


async def split_csrf(
    content_type: str | None, chunks: AsyncIterable[bytes]
) -> tuple[str, AsyncIterator[bytes]]:
    """(the token sent first, the rest of the body without the token's part)."""
    boundary = boundary_of(content_type)
    delimiter = b"--" + boundary
    iterator = aiter(chunks)
    buffer = b""
    while True:
        head = _parse_head(buffer, delimiter)
        if head is not None:
            token, rest_at = head
            break
        if len(buffer) > HEAD_LIMIT:
            raise MalformedUpload("no csrf token at the head of the form")
        try:
            buffer += await anext(iterator)
        except StopAsyncIteration as error:
            raise MalformedUpload("body ended before the csrf token") from error

    async def rest() -> AsyncIterator[bytes]:
        yield buffer[rest_at:]
        async for chunk in iterator:
            yield chunk

    return token, rest()


def _parse_head(buffer: bytes, delimiter: bytes) -> tuple[str, int] | None:
    """The token and where the next part starts, None while more bytes are needed."""
    opening = delimiter + b"\r\n"
    if len(buffer) < len(opening):
        return None
    if not buffer.startswith(opening):
        raise MalformedUpload("the body does not start with the boundary")
    headers_end = buffer.find(b"\r\n\r\n", len(opening))
    if headers_end < 0:
        return None
    headers = buffer[len(opening) : headers_end].decode("latin-1").lower()
    if f'name="{CSRF_FIELD}"' not in headers or "filename=" in headers:
        raise MalformedUpload("the first field is not the csrf token")
    value_start = headers_end + 4
    value_end = buffer.find(b"\r\n" + delimiter, value_start)
    if value_end < 0:
        return None
    token = buffer[value_start:value_end].decode("ascii", errors="replace")
    return token, value_end + 2
