"""Validation: check the signatures of an uploaded file or of a stored one a capability grants."""

from __future__ import annotations

from hoso_common.capability import VALIDATION_AUDIENCE, CapabilityRefused, verify_capability
from hoso_common.errors import NotFound, PayloadTooLarge
from hoso_common.storage import ObjectNotFound
from hoso_signing.config import Settings
from hoso_signing.crypto.validation import SignatureValidator, UnreadableInput
from hoso_signing.domain.verdicts import SignatureFindings
from hoso_signing.errors import BucketNotAllowed, ReferenceRefused, UnreadableFile
from hoso_signing.usecases.ports import FileStore


class Validation:
    def __init__(
        self, settings: Settings, storage: FileStore, validator: SignatureValidator
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.validator = validator

    async def validate(self, data: bytes, signature: bytes | None) -> list[SignatureFindings]:
        """The findings of each signature: embedded in a PDF, or detached over `data`."""
        try:
            if signature is not None:
                return await self.validator.validate_detached(data, signature)
            return await self.validator.validate_pdf(data)
        except UnreadableInput as error:
            raise UnreadableFile(error.message, extra={"reason": error.code}) from error

    async def validate_granted(self, capability: str, caller_sub: str) -> list[SignatureFindings]:
        """Validate the stored file that a capability, issued to the caller, lets them read."""
        try:
            grant = verify_capability(
                self.settings.object_capability_secret.get_secret_value(),
                capability,
                audience=VALIDATION_AUDIENCE,
                subject=caller_sub,
            )
        except CapabilityRefused as refused:
            raise ReferenceRefused(extra={"reason": refused.reason}) from refused
        data = await self._read(grant.bucket, grant.key)
        signature = None
        if grant.signature_bucket and grant.signature_key:
            signature = await self._read(grant.signature_bucket, grant.signature_key)
        return await self.validate(data, signature)

    async def _read(self, bucket: str, key: str) -> bytes:
        if bucket not in self.settings.validation_bucket_list():
            raise BucketNotAllowed()
        try:
            return bytes(
                await self.storage.read_bytes(bucket, key, limit=self.settings.max_input_bytes)
            )
        except ObjectNotFound as error:
            raise NotFound("Không tìm thấy tệp cần kiểm tra.") from error
        except ValueError as error:
            raise PayloadTooLarge() from error
