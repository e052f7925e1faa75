"""Reads the `file` part of a multipart/form-data request as a stream, never spooling it."""

from __future__ import annotations

import collections
import posixpath
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from hoso_submission.errors import MalformedUpload

FILE_FIELD = "file"
_Event = tuple[str, Any]


@dataclass
class StreamedFile:
    filename: str
    chunks: AsyncIterator[bytes]


def _clean_filename(raw: bytes) -> str:
    # Browsers send UTF-8 file names; the parser hands them over as latin-1 bytes.
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        name = raw.decode("latin-1")
    name = posixpath.basename(name.replace("\\", "/")).strip()
    return name[:255] or "tep-dinh-kem"


class MultipartFileReader:
    def __init__(self, request: Request) -> None:
        content_type, params = parse_options_header(request.headers.get("content-type"))
        boundary = params.get(b"boundary")
        if content_type != b"multipart/form-data" or not boundary:
            raise MalformedUpload()
        self._body = request.stream()
        self._pending: collections.deque[_Event] = collections.deque()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        self._events = self._read()

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        self._pending.append(("part", options))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._pending.append(("data", bytes(data[start:end])))

    def _on_part_end(self) -> None:
        self._pending.append(("end", None))

    async def _read(self) -> AsyncIterator[_Event]:
        async for chunk in self._body:
            try:
                self._parser.write(chunk)
            except Exception as error:
                raise MalformedUpload() from error
            while self._pending:
                yield self._pending.popleft()
        self._parser.finalize()
        while self._pending:
            yield self._pending.popleft()

    async def file(self) -> StreamedFile:
        """Skip to the `file` part; its bytes are then read as they arrive."""
        async for kind, value in self._events:
            if kind == "part" and value.get(b"name") == FILE_FIELD.encode():
                filename = _clean_filename(value.get(b"filename") or b"")
                return StreamedFile(filename=filename, chunks=self._part_data())
        raise MalformedUpload()

    async def _part_data(self) -> AsyncIterator[bytes]:
        async for kind, value in self._events:
            if kind == "data":
                yield value
            elif kind == "end":
                return
        raise MalformedUpload("Tệp tải lên bị cắt ngang.")

    async def drain(self) -> None:
        """Read what the client still sends, so it gets our answer instead of a reset."""
        try:
            async for _ in self._body:
                pass
        except Exception:  # noqa: S110 - the client is gone; nothing to tell it
            pass
