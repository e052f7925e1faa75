"""Object-store use of the submission service: attached files live in its own bucket."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from hoso_common.events import ObjectRef
from hoso_common.pdf_check import signing_problem
from hoso_common.storage import ObjectNotFound, ObjectStorage
from hoso_submission.domain.file_types import MEDIA_TYPES, SNIFF_BYTES, sniff, type_of_name
from hoso_submission.domain.procedures import ComponentSpec
from hoso_submission.errors import (
    EmptyFile,
    ResultFileType,
    ResultUnsignable,
    file_too_large,
    file_type_refused,
    result_too_large,
)

logger = logging.getLogger(__name__)


class AttachmentStore:
    def __init__(self, storage: ObjectStorage, bucket: str) -> None:
        self.storage = storage
        self.bucket = bucket

    async def save_upload(
        self, key: str, filename: str, chunks: AsyncIterator[bytes], spec: ComponentSpec
    ) -> ObjectRef:
        """Stream an upload into the bucket, refusing wrong types and oversize files early."""
        head = bytearray()
        async for chunk in chunks:
            head += chunk
            if len(head) >= SNIFF_BYTES:
                break
        if not head:
            raise EmptyFile()
        if len(head) > spec.max_size_bytes:
            raise file_too_large(spec)
        file_type = sniff(bytes(head))
        if file_type is None or file_type not in spec.file_types:
            raise file_type_refused(spec, "Nội dung tệp không thuộc định dạng được chấp nhận.")
        claimed = type_of_name(filename)
        if claimed is not None and claimed != file_type:
            raise file_type_refused(spec, "Phần mở rộng của tên tệp không khớp với nội dung tệp.")

        async def body() -> AsyncIterator[bytes]:
            size = len(head)
            yield bytes(head)
            async for chunk in chunks:
                size += len(chunk)
                if size > spec.max_size_bytes:
                    raise file_too_large(spec)
                yield chunk

        stored = await self.storage.upload_stream(
            self.bucket, key, body(), content_type=MEDIA_TYPES[file_type]
        )
        return ObjectRef(
            bucket=self.bucket,
            key=key,
            version=1,
            sha256=stored.sha256,
            size=stored.size,
            content_type=MEDIA_TYPES[file_type],
            filename=filename,
        )

    async def stream(self, stored: ObjectRef) -> AsyncIterator[bytes]:
        """The stored file's bytes; `ObjectNotFound` when the object is gone."""
        return await self.storage.stream(stored.bucket, stored.key)

    async def save_result(
        self, key: str, filename: str, chunks: AsyncIterator[bytes], max_bytes: int
    ) -> ObjectRef:
        """Store the officer's result PDF, refusing anything pyHanko could not sign.

        The whole file is read before it is stored: a result must be parsed as a PDF (not only
        sniffed), and the limit keeps that read bounded.
        """
        data = bytearray()
        async for chunk in chunks:
            data += chunk
            if len(data) > max_bytes:
                raise result_too_large(max_bytes)
        if not data:
            raise EmptyFile()
        claimed = type_of_name(filename)
        if sniff(bytes(data[:SNIFF_BYTES])) != "pdf" or claimed not in (None, "pdf"):
            raise ResultFileType()
        problem = await asyncio.to_thread(signing_problem, bytes(data))
        if problem is not None:
            raise ResultUnsignable(problem.message, extra={"reason": problem.code})
        stored = await self.storage.put_bytes(
            self.bucket, key, bytes(data), content_type=MEDIA_TYPES["pdf"]
        )
        return ObjectRef(
            bucket=self.bucket,
            key=key,
            version=1,
            sha256=stored.sha256,
            size=stored.size,
            content_type=MEDIA_TYPES["pdf"],
            filename=filename,
        )

    async def copy_in(self, source: ObjectRef, key: str) -> ObjectRef:
        """Server-side copy of another service's pinned object; checks the copy's size."""
        await self.storage.copy(source.bucket, source.key, self.bucket, key)
        info = await self.storage.stat(self.bucket, key)
        if info.size != source.size:
            await self.delete(key)
            raise ObjectNotFound(f"{source.bucket}/{source.key} changed while copied")
        return source.model_copy(update={"bucket": self.bucket, "key": key})

    async def delete(self, key: str) -> None:
        try:
            await self.storage.delete(self.bucket, key)
        except Exception:
            # A leftover object costs only space; the dossier no longer points at it.
            logger.warning("could not delete attachment object", extra={"key": key})
