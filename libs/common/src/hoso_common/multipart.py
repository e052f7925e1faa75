"""A multipart/form-data reader that hands the file part on while the body still arrives.

Shared by every service that takes uploads: the file is streamed to the object store, never
spooled to disk or held whole in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 16 * 1024
MAX_FIELDS = 32
FLUSH_BYTES = 1024 * 1024

_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class MalformedForm(Exception):
    """The body is not a well-formed multipart/form-data message we accept."""


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str | None
    content_type: str | None


def multipart_boundary(content_type: str | None) -> bytes:
    media, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        raise MalformedForm("expected multipart/form-data with a boundary")
    return boundary


def disposition_params(value: str) -> dict[str, str]:
    """Parameters of a part's Content-Disposition; filename* (RFC 5987) wins over filename."""
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for match in _PARAM.finditer(value):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if key.endswith("*"):
            charset, _, rest = raw.partition("'")
            _, _, encoded = rest.partition("'")
            try:
                extended[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                continue
        else:
            params[key] = raw
    return {**params, **extended}


def _decode_header(raw: bytes) -> str:
    # Browsers send the filename as raw UTF-8 inside the quoted string.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class StreamingForm:
    """Feeds the body to python-multipart as it arrives; the single file part is streamed.

    Text fields are collected (bounded); file bytes are handed out in ~1 MiB chunks by
    `file_chunks()`, so no more than a chunk or two of the file is ever held here.
    """

    def __init__(self, boundary: bytes, body: AsyncIterator[bytes]) -> None:
        self.fields: dict[str, str] = {}
        self.file: FilePart | None = None
        self._body = body.__aiter__()
        self._pieces: list[bytes] = []
        self._buffered = 0
        self._file_open = False
        self._file_done = False
        self._ended = False
        self._seen_end = False
        self._headers: dict[str, str] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._field_name: str | None = None
        self._field_value = bytearray()
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
                "on_end": self._on_end,
            },
        )

    @property
    def finished(self) -> bool:
        """Whether the whole body has been read."""
        return self._ended

    async def next_file(self) -> FilePart | None:
        """Read until the file part starts (fields before it are in `fields`), or the end."""
        while self.file is None and not self._ended:
            await self._feed_next()
        return self.file

    async def file_chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive; then the rest of the body is read for fields."""
        while True:
            if self._buffered >= FLUSH_BYTES or (self._file_done and self._buffered):
                chunk = b"".join(self._pieces)
                self._pieces.clear()
                self._buffered = 0
                yield chunk
                continue
            if self._file_done:
                break
            if self._ended:
                raise MalformedForm("the body ended inside the file part")
            await self._feed_next()
        while not self._ended:
            await self._feed_next()

    async def _feed_next(self) -> None:
        chunk = await anext(self._body, None)
        try:
            if chunk is None:
                self._parser.finalize()
                self._ended = True
                if not self._seen_end:
                    raise MalformedForm("the body ended before the closing boundary")
                return
            if chunk:
                self._parser.write(chunk)
        except MultipartParseError as error:
            raise MalformedForm(str(error)) from error

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._field_name = None
        self._field_value = bytearray()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field.extend(data[start:end])

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value.extend(data[start:end])
        if len(self._header_value) > MAX_FIELD_BYTES:
            raise MalformedForm("part header too long")

    def _on_header_end(self) -> None:
        name = bytes(self._header_field).decode("latin-1").strip().lower()
        self._headers[name] = _decode_header(bytes(self._header_value)).strip()
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        params = disposition_params(self._headers.get("content-disposition", ""))
        name = params.get("name")
        if name is None:
            raise MalformedForm("a part has no name")
        if "filename" in params:
            if self.file is not None:
                raise MalformedForm("only one file may be sent")
            self.file = FilePart(
                field=name,
                filename=params["filename"],
                content_type=self._headers.get("content-type"),
            )
            self._file_open = True
            return
        if len(self.fields) >= MAX_FIELDS:
            raise MalformedForm("too many fields")
        self._field_name = name

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file_open:
            if end > start:
                self._pieces.append(data[start:end])
                self._buffered += end - start
            return
        self._field_value.extend(data[start:end])
        if len(self._field_value) > MAX_FIELD_BYTES:
            raise MalformedForm(f"field {self._field_name} is too long")

    def _on_part_end(self) -> None:
        if self._file_open:
            self._file_open = False
            self._file_done = True
            return
        if self._field_name is not None:
            self.fields[self._field_name] = _decode_header(bytes(self._field_value))

    def _on_end(self) -> None:
        self._seen_end = True
