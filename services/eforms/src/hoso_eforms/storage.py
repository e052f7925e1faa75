"""Object keys and storage calls for rendered and signed form PDFs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from hoso_common.storage import ObjectStorage, StoredObject

PDF = "application/pdf"


class FormFiles:
    """Rendered and signed PDFs of the forms, in the eforms bucket."""

    def __init__(self, storage: ObjectStorage, bucket: str) -> None:
        self.storage = storage
        self.bucket = bucket

    @staticmethod
    def rendered_key(form_id: str, revision: int, sha256: str) -> str:
        return f"forms/{form_id}/rendered/r{revision}-{sha256[:16]}.pdf"

    @staticmethod
    def signed_key(form_id: str, request_id: str) -> str:
        return f"forms/{form_id}/signed/{request_id}.pdf"

    async def put_rendered(
        self, form_id: str, revision: int, pdf: bytes, sha256: str
    ) -> StoredObject:
        key = self.rendered_key(form_id, revision, sha256)
        return await self.storage.put_bytes(self.bucket, key, pdf, content_type=PDF)

    async def copy_signed(
        self, src_bucket: str, src_key: str, form_id: str, request_id: str
    ) -> str:
        """Server-side copy of the signing service's output; the same key on every redelivery."""
        key = self.signed_key(form_id, request_id)
        await self.storage.copy(src_bucket, src_key, self.bucket, key)
        return key

    async def open(self, key: str) -> AsyncIterator[bytes]:
        return await self.storage.stream(self.bucket, key)
