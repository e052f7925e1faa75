"""Reads the `file` part of a multipart/form-data request as a stream, never spooling it.

The parsing is hoso_common's streaming form reader; this adapter keeps only what submission
adds: the part must be named `file`, its name is cleaned, and a broken body is its problem.
"""

from __future__ import annotations

import posixpath
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Request

from hoso_common.multipart import MalformedForm, StreamingForm, multipart_boundary
from hoso_submission.errors import MalformedUpload

FILE_FIELD = "file"


@dataclass
class StreamedFile:
    filename: str
    chunks: AsyncIterator[bytes]


def _clean_filename(name: str) -> str:
    name = posixpath.basename(name.replace("\\", "/")).strip()
    return name[:255] or "tep-dinh-kem"


class MultipartFileReader:
    def __init__(self, request: Request) -> None:
        try:
            boundary = multipart_boundary(request.headers.get("content-type"))
        except MalformedForm as error:
            raise MalformedUpload() from error
        self._body = request.stream()
        self._form = StreamingForm(boundary, self._body)

    async def file(self) -> StreamedFile:
        """Skip to the `file` part; its bytes are then read as they arrive."""
        try:
            part = await self._form.next_file()
        except MalformedForm as error:
            raise MalformedUpload() from error
        if part is None or part.field != FILE_FIELD:
            raise MalformedUpload()
        return StreamedFile(filename=_clean_filename(part.filename or ""), chunks=self._chunks())

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._form.file_chunks():
                yield chunk
        except MalformedForm as error:
            raise MalformedUpload("Tệp tải lên bị cắt ngang.") from error

    async def drain(self) -> None:
        """Read what the client still sends, so it gets our answer instead of a reset."""
        try:
            async for _ in self._body:
                pass
        except Exception:  # noqa: S110 - the client is gone; nothing to tell it
            pass
