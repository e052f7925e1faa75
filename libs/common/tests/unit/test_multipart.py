"""The streaming multipart reader."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hoso_common.multipart import (
    FLUSH_BYTES,
    MalformedForm,
    StreamingForm,
    disposition_params,
    multipart_boundary,
)

BOUNDARY = b"----hosoBoundary7MA4YWxk"


def _body(parts: list[tuple[bytes, bytes]]) -> bytes:
    out = b""
    for headers, data in parts:
        out += b"--" + BOUNDARY + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\n"


def _field(name: str, value: str) -> tuple[bytes, bytes]:
    return f'Content-Disposition: form-data; name="{name}"'.encode(), value.encode()


def _file(filename: str, data: bytes, content_type: str = "application/pdf") -> tuple[bytes, bytes]:
    headers = (
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}"
    )
    return headers.encode(), data


class CountingBody:
    """A request body delivered in small pieces, counting how much was pulled."""

    def __init__(self, data: bytes, piece: int = 7000) -> None:
        self.data = data
        self.piece = piece
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.piece):
            chunk = self.data[start : start + self.piece]
            self.pulled += len(chunk)
            yield chunk


async def _read_all(form: StreamingForm) -> bytes:
    return b"".join([chunk async for chunk in form.file_chunks()])


async def test_fields_before_the_file_are_known_when_the_file_starts() -> None:
    payload = bytes(range(256)) * 20_000  # ~5 MB, contains CR/LF and dashes
    body = CountingBody(
        _body([_field("name", "Giấy khai sinh"), _field("sign", "true"), _file("a.pdf", payload)])
    )
    form = StreamingForm(BOUNDARY, body.__aiter__())
    file = await form.next_file()
    assert file is not None and file.filename == "a.pdf"
    assert file.content_type == "application/pdf"
    assert form.fields == {"name": "Giấy khai sinh", "sign": "true"}
    assert body.pulled < len(payload)
    chunks = [chunk async for chunk in form.file_chunks()]
    assert b"".join(chunks) == payload
    assert max(len(c) for c in chunks) < FLUSH_BYTES + 7000


async def test_fields_after_the_file_are_read_once_the_file_ends() -> None:
    body = CountingBody(_body([_file("a.pdf", b"%PDF-1.4 x"), _field("name", "Sau tệp")]))
    form = StreamingForm(BOUNDARY, body.__aiter__())
    assert await form.next_file() is not None
    assert await _read_all(form) == b"%PDF-1.4 x"
    assert form.fields["name"] == "Sau tệp"


async def test_raw_utf8_filename_is_decoded() -> None:
    body = CountingBody(_body([_file("Giấy tờ Đỗ.pdf", b"%PDF-")]))
    form = StreamingForm(BOUNDARY, body.__aiter__())
    file = await form.next_file()
    assert file is not None and file.filename == "Giấy tờ Đỗ.pdf"


async def test_no_file_part() -> None:
    form = StreamingForm(BOUNDARY, CountingBody(_body([_field("name", "x")])).__aiter__())
    assert await form.next_file() is None
    assert form.fields == {"name": "x"}


async def test_truncated_body_is_malformed() -> None:
    data = _body([_file("a.pdf", b"%PDF-" + b"x" * 10_000)])[:-2000]
    form = StreamingForm(BOUNDARY, CountingBody(data).__aiter__())
    assert await form.next_file() is not None
    with pytest.raises(MalformedForm):
        await _read_all(form)


async def test_two_files_are_refused() -> None:
    data = _body([_file("a.pdf", b"%PDF-a"), _file("b.pdf", b"%PDF-b")])
    form = StreamingForm(BOUNDARY, CountingBody(data, piece=20).__aiter__())
    assert await form.next_file() is not None
    with pytest.raises(MalformedForm):
        await _read_all(form)


async def test_oversized_text_field_is_refused() -> None:
    form = StreamingForm(BOUNDARY, CountingBody(_body([_field("name", "x" * 100_000)])).__aiter__())
    with pytest.raises(MalformedForm):
        await form.next_file()


def test_boundary_is_required() -> None:
    assert multipart_boundary("multipart/form-data; boundary=abc") == b"abc"
    for value in ("application/json", "multipart/form-data", None):
        with pytest.raises(MalformedForm):
            multipart_boundary(value)


def test_disposition_params_prefers_rfc5987_filename() -> None:
    params = disposition_params(
        'form-data; name="file"; filename="Giay.pdf"; filename*=UTF-8\'\'Gi%E1%BA%A5y.pdf'
    )
    assert params == {"name": "file", "filename": "Giấy.pdf"}


def test_disposition_params_unescapes_quotes() -> None:
    assert disposition_params('form-data; name="a\\"b"') == {"name": 'a"b'}
