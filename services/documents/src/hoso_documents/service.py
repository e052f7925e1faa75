"""The vault's use cases: upload, sign, save, delete, record sign results, clean up."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from hoso_common.auth import Principal
from hoso_common.clock import utc_now
from hoso_common.events import (
    DocumentUploaded,
    DossierResultReturned,
    ObjectRef,
    SignCompleted,
    SignRequested,
)
from hoso_common.pdf_check import signing_problem
from hoso_common.storage import ObjectNotFound, ObjectStorage
from hoso_documents.config import Settings
from hoso_documents.domain import lifecycle, object_keys
from hoso_documents.domain.files import (
    MEDIA_TYPES,
    SNIFF_BYTES,
    TypeProblem,
    check_type,
    filename_with_extension,
    sanitize_filename,
    sniff,
)
from hoso_documents.domain.models import (
    Document,
    DocumentStatus,
    PendingSignature,
    Signature,
    SignFailure,
    SignOptions,
    UploadInput,
    Version,
)
from hoso_documents.errors import (
    DocumentBusy,
    DocumentNotFound,
    DocumentUnsignable,
    EmptyFile,
    FileTooLarge,
    FileTypeMismatch,
    SigningInProgress,
    UnsupportedFileType,
    VersionNotFound,
)
from hoso_documents.repository import DocumentRepository, SortOrder
from hoso_documents.signing_client import (
    NO_SIGNATURE_REPORT,
    PDF_MEDIA_TYPE,
    SignatureValidationClient,
)
from hoso_documents.storage import VaultFiles

logger = logging.getLogger(__name__)

SIGNATURE_MEDIA_TYPE = "application/pkcs7-signature"
# A deletion whose process died is retried once it is this old.
STUCK_DELETION_AGE = timedelta(minutes=1)


def new_id() -> str:
    return uuid.uuid4().hex


def result_document_id(dossier_id: str) -> str:
    """The vault document that holds a dossier's returned result: one per dossier."""
    return hashlib.sha256(f"dossier-result:{dossier_id}".encode()).hexdigest()[:32]


async def _read_head(chunks: AsyncIterator[bytes], size: int) -> tuple[bytes, list[bytes]]:
    """The first `size` bytes (or all, if shorter) and the chunks they came in."""
    taken: list[bytes] = []
    length = 0
    while length < size:
        chunk = await anext(chunks, None)
        if chunk is None:
            break
        taken.append(chunk)
        length += len(chunk)
    return b"".join(taken)[:size], taken


async def _bounded(
    head: list[bytes], rest: AsyncIterator[bytes], limit: int, marker: Awaitable[None]
) -> AsyncIterator[bytes]:
    """Yield the chunks, failing as soon as the running count passes the limit.

    The object is committed only once this iterator ends, so awaiting the upload marker
    here keeps "marker before object" while the marker write overlaps the transfer.
    """
    count = 0
    for chunk in head:
        count += len(chunk)
        if count > limit:
            raise FileTooLarge(extra={"max_bytes": limit})
        yield chunk
    async for chunk in rest:
        count += len(chunk)
        if count > limit:
            raise FileTooLarge(extra={"max_bytes": limit})
        yield chunk
    await marker


def _pick_version(versions: list[Version], number: int | None) -> Version:
    if number is None:
        return versions[-1]
    for version in versions:
        if version.version == number:
            return version
    raise VersionNotFound()


class Vault:
    def __init__(
        self,
        repository: DocumentRepository,
        storage: ObjectStorage,
        settings: Settings,
        *,
        nudge: Callable[[str], None] = lambda _: None,
        validator: SignatureValidationClient | None = None,
    ) -> None:
        self.repository = repository
        self.storage = storage
        self.settings = settings
        self.bucket = settings.bucket
        self.files = VaultFiles(storage, settings.bucket)
        self.nudge = nudge
        self.validator = validator or SignatureValidationClient(
            settings.signing_url,
            settings.signing_timeout_s,
            capability_secret=settings.object_capability_secret.get_secret_value(),
            capability_ttl_s=settings.object_capability_ttl_s,
        )

    async def upload(
        self,
        owner: Principal,
        *,
        filename: str | None,
        declared_type: str | None,
        chunks: AsyncIterator[bytes],
        read_input: Callable[[], Awaitable[UploadInput]],
    ) -> Document:
        """Stream one file to storage while checking it, then make it a document."""
        limit = self.settings.max_upload_bytes
        head, head_chunks = await _read_head(chunks, SNIFF_BYTES)
        if not head:
            raise EmptyFile()
        safe_name = sanitize_filename(filename)
        kind = sniff(head)
        problem = check_type(kind, safe_name, declared_type)
        if problem is TypeProblem.UNSUPPORTED or kind is None:
            raise UnsupportedFileType()
        if problem is TypeProblem.MISMATCH:
            raise FileTypeMismatch(extra={"detected_type": MEDIA_TYPES[kind]})
        safe_name = filename_with_extension(safe_name, kind)
        media_type = MEDIA_TYPES[kind]

        document_id = new_id()
        key = object_keys.version_key(owner.sub, document_id, 1)
        marker = asyncio.ensure_future(
            self.repository.start_upload(document_id, owner.sub, key, utc_now())
        )
        try:
            stored = await self.files.upload(
                key, _bounded(head_chunks, chunks, limit, marker), content_type=media_type
            )
            if stored.size == 0:
                raise EmptyFile()
            fields = await read_input()
            now = utc_now()
            version = Version(
                version=1,
                bucket=self.bucket,
                key=key,
                sha256=stored.sha256,
                size=stored.size,
                content_type=media_type,
                filename=safe_name,
                created_at=now,
                origin="upload",
            )
            sign_request = (
                self._sign_requested(owner, document_id, fields.name, version, fields.sign)
                if fields.sign
                else None
            )
            uploaded = DocumentUploaded(
                document_id=document_id,
                owner_id=owner.sub,
                name=fields.name,
                object=version.object_ref(),
                sign_requested=sign_request is not None,
            )
            document = await self.repository.finish_upload(
                document_id,
                name=fields.name,
                version=version,
                status=DocumentStatus.SIGNING if sign_request else DocumentStatus.DRAFT,
                pending=self._pending(sign_request, now),
                now=now,
                events=[uploaded, sign_request] if sign_request else [uploaded],
            )
            if document is None:
                raise RuntimeError(f"upload marker of {document_id} vanished")
        except BaseException:
            marked = False
            with contextlib.suppress(BaseException):
                await marker
                marked = True
            await self._discard_upload(document_id, key, marked=marked)
            raise
        self.nudge(document_id)
        logger.info(
            "document uploaded",
            extra={"document_id": document_id, "size": stored.size, "type": media_type},
        )
        return document

    async def _discard_upload(self, document_id: str, key: str, *, marked: bool = True) -> None:
        # Best effort: whatever fails here is left to the periodic orphan cleanup.
        with contextlib.suppress(Exception):
            await self.files.delete(key)
        if not marked:
            # The marker was never written (the database was away): nothing to abandon, and
            # asking would only hold the citizen's answer for another server-selection wait.
            return
        with contextlib.suppress(Exception):
            await self.repository.abandon_upload(document_id)

    @staticmethod
    def _sign_requested(
        owner: Principal, document_id: str, name: str, version: Version, options: SignOptions
    ) -> SignRequested:
        return SignRequested(
            request_id=new_id(),
            source="documents",
            source_id=document_id,
            document_name=name,
            object=version.object_ref(),
            signer_id=owner.citizen_id or "",
            signer_sub=owner.sub,
            provider=options.provider,
            reason=options.reason,
            location=options.location,
            visible_stamp=options.visible_stamp,
        )

    @staticmethod
    def _pending(request: SignRequested | None, now: datetime) -> PendingSignature | None:
        if request is None:
            return None
        return PendingSignature(
            request_id=request.request_id,
            provider=request.provider,
            requested_at=now,
            version=request.object.version,
        )

    async def get(self, owner: Principal, document_id: str) -> Document:
        document = await self.repository.get(owner.sub, document_id)
        if document is None:
            raise DocumentNotFound()
        return document

    async def check_signatures(
        self, owner: Principal, document_id: str, authorization: str
    ) -> dict[str, Any]:
        """The signing service's report on the current version's signatures, asked for the owner."""
        document = await self.get(owner, document_id)
        current = document.current
        detached = current.signature.detached if current.signature else None
        if detached is None and current.content_type != PDF_MEDIA_TYPE:
            # Only a PDF carries embedded signatures; anything else is signed by a .p7s or not
            # at all.
            return {**NO_SIGNATURE_REPORT, "document_id": document.id, "version": current.version}
        report = await self.validator.validate(
            authorization,
            subject=owner.sub,
            bucket=current.bucket,
            key=current.key,
            signature_bucket=detached.bucket if detached else None,
            signature_key=detached.key if detached else None,
        )
        return {**report, "document_id": document.id, "version": current.version}

    async def list_own(
        self,
        owner: Principal,
        *,
        statuses: Sequence[DocumentStatus] | None,
        saved: bool | None,
        order: SortOrder,
        page: int,
        size: int,
    ) -> tuple[list[Document], int]:
        """One page of the owner's documents and how many there are in all."""
        return await self.repository.list_page(
            owner.sub, statuses=statuses, saved=saved, order=order, page=page, size=size
        )

    async def open_version(
        self, owner: Principal, document_id: str, number: int | None, *, signature: bool
    ) -> tuple[ObjectRef, AsyncIterator[bytes]]:
        """A version's file (the current one if `number` is None), or its detached signature."""
        document = await self.get(owner, document_id)
        chosen = _pick_version(document.versions, number)
        if signature:
            if chosen.signature is None or chosen.signature.detached is None:
                raise VersionNotFound("Phiên bản này không có tệp chữ ký số tách rời (.p7s).")
            ref = chosen.signature.detached
        else:
            ref = chosen.object_ref()
        try:
            return ref, await self.files.stream(ref.bucket, ref.key)
        except ObjectNotFound as error:
            raise VersionNotFound() from error

    async def request_signing(
        self, owner: Principal, document_id: str, options: SignOptions
    ) -> Document:
        document = await self.get(owner, document_id)
        try:
            lifecycle.check_can_request_signing(document.status)
        except lifecycle.SigningInFlight as error:
            raise SigningInProgress() from error
        except lifecycle.TransitionRefused as error:
            raise DocumentBusy() from error
        await self._check_signable(document.current)
        request = self._sign_requested(owner, document_id, document.name, document.current, options)
        now = utc_now()
        pending = self._pending(request, now)
        assert pending is not None
        updated = await self.repository.request_signing(
            owner.sub, document_id, pending, now, [request]
        )
        if updated is None:
            # Someone else changed the state between the read and the conditional write.
            raise SigningInProgress()
        self.nudge(document_id)
        return updated

    async def _check_signable(self, version: Version) -> None:
        """Refuse up front a PDF pyHanko cannot sign, instead of a failure blamed on the CA."""
        is_pdf = version.content_type == "application/pdf" or version.filename.lower().endswith(
            ".pdf"
        )
        if not is_pdf:
            return  # other files get a detached CAdES signature, whatever their content
        data = await self.files.read(version.bucket, version.key)
        problem = await asyncio.to_thread(signing_problem, bytes(data))
        if problem is not None:
            raise DocumentUnsignable(problem.message, extra={"reason": problem.code})

    async def save(self, owner: Principal, document_id: str) -> Document:
        document = await self.get(owner, document_id)
        if document.saved:
            return document
        saved = await self.repository.save(owner.sub, document_id, utc_now())
        if saved is None:
            raise DocumentNotFound()
        return saved

    async def delete(self, owner: Principal, document_id: str) -> None:
        document = await self.get(owner, document_id)
        try:
            lifecycle.check_can_delete(document.status)
        except lifecycle.SigningInFlight as error:
            raise SigningInProgress() from error
        marked = await self.repository.mark_deleting(document_id, utc_now(), owner_id=owner.sub)
        if marked is None:
            current = await self.repository.get(owner.sub, document_id)
            if current is not None and current.status is DocumentStatus.SIGNING:
                raise SigningInProgress()
            raise DocumentNotFound()
        await self._purge(marked.owner_id, document_id)

    async def _purge(self, owner_id: str, document_id: str) -> None:
        prefix = object_keys.document_prefix(owner_id, document_id)
        await self.files.delete_prefix(prefix)
        if not await self.repository.remove_deleted(document_id):
            logger.info("document metadata kept until its events leave", extra={"id": document_id})

    async def record_sign_result(self, result: SignCompleted) -> bool:
        """Apply a SignCompleted once; returns whether it changed the document."""
        document = await self.repository.get_any(result.source_id)
        if document is None or not lifecycle.completion_applies(document, result.request_id):
            logger.info(
                "sign result ignored (unknown document or already applied)",
                extra={"document_id": result.source_id, "request_id": result.request_id},
            )
            return False
        assert document.pending is not None
        outcome = lifecycle.sign_result(result.status, result.failure_reason)
        now = utc_now()
        version: Version | None = None
        failure: SignFailure | None = None
        if outcome.status is DocumentStatus.SIGNED and result.signed_object is not None:
            version = await self._signed_version(document, result, result.signed_object, now)
        elif outcome.status is DocumentStatus.SIGNED:
            logger.error("signed result without a signed object", extra={"id": document.id})
            outcome = lifecycle.sign_result("failed", "signed_object_missing")
        if outcome.failure_reason is not None:
            failure = SignFailure(
                request_id=result.request_id,
                provider=document.pending.provider,
                reason=outcome.failure_reason,
                message=outcome.message or "",
                provider_detail=result.failure_reason,
                failed_at=now,
            )
        applied = await self.repository.complete_signing(
            document.id,
            result.request_id,
            status=outcome.status,
            version=version,
            failure=failure,
            now=now,
        )
        logger.info(
            "sign result recorded",
            extra={"document_id": document.id, "status": outcome.status, "applied": applied},
        )
        return applied

    async def _signed_version(
        self, document: Document, result: SignCompleted, signed: ObjectRef, now: datetime
    ) -> Version:
        assert document.pending is not None
        number = lifecycle.next_version_number(document)
        signed_from = document.version(document.pending.version) or document.current
        detached = result.signature_format == "cades" or (
            result.signature_format is None and signed.content_type == SIGNATURE_MEDIA_TYPE
        )
        signature = Signature(
            format="cades" if detached else "pades",
            request_id=result.request_id,
            provider=document.pending.provider,
            signer_name=result.signer_name,
            signer_subject=result.signer_subject,
            signer_serial=result.signer_serial,
            signed_at=result.signed_at,
            pades_level=result.pades_level,
        )
        if detached:
            key = object_keys.signature_key(document.owner_id, document.id, number)
            await self.files.copy_in(signed.bucket, signed.key, key)
            p7s = ObjectRef(
                bucket=self.bucket,
                key=key,
                version=number,
                sha256=signed.sha256,
                size=signed.size,
                content_type=SIGNATURE_MEDIA_TYPE,
                filename=f"{signed_from.filename}.p7s",
            )
            # The signed content is the very file that was signed; only the .p7s is new.
            return signed_from.model_copy(
                update={
                    "version": number,
                    "created_at": now,
                    "origin": "signing",
                    "signature": signature.model_copy(update={"detached": p7s}),
                }
            )
        key = object_keys.version_key(document.owner_id, document.id, number)
        await self.files.copy_in(signed.bucket, signed.key, key)
        return Version(
            version=number,
            bucket=self.bucket,
            key=key,
            sha256=signed.sha256,
            size=signed.size,
            content_type=signed.content_type or signed_from.content_type,
            filename=signed_from.filename,
            created_at=now,
            origin="signing",
            signature=signature,
        )

    async def receive_result(self, returned: DossierResultReturned) -> Document | None:
        """Keep a copy of a dossier's returned signed result in its citizen's vault, once.

        The document id comes from the dossier's, so a redelivered event, or a second event
        for the same dossier, finds the copy made and adds nothing. The object is copied
        first under a fixed key: a crash before the insert leaves only that object, which the
        redelivery overwrites.
        """
        document_id = result_document_id(returned.dossier_id)
        key = object_keys.version_key(returned.owner_id, document_id, 1)
        source = returned.result
        await self.files.copy_in(source.bucket, source.key, key)
        now = utc_now()
        version = Version(
            version=1,
            bucket=self.bucket,
            key=key,
            sha256=source.sha256,
            size=source.size,
            content_type=source.content_type,
            filename=source.filename,
            created_at=now,
            origin="result",
            signature=Signature(
                format="pades" if source.content_type == "application/pdf" else "cades",
                signer_name=returned.signer_name,
                signed_at=returned.signed_at,
            ),
        )
        document = Document(
            id=document_id,
            owner_id=returned.owner_id,
            name=f"Kết quả giải quyết hồ sơ {returned.receipt_code} — {returned.procedure_name}",
            status=DocumentStatus.SIGNED,
            # The agency returned it for keeping: it is no draft that expires.
            saved=True,
            created_at=now,
            updated_at=now,
            saved_at=now,
            versions=[version],
        )
        if not await self.repository.add_received(document):
            logger.info(
                "returned result already in the vault",
                extra={"dossier_id": returned.dossier_id, "document_id": document_id},
            )
            return None
        logger.info(
            "returned result kept in the vault",
            extra={"dossier_id": returned.dossier_id, "document_id": document_id},
        )
        return document

    async def clean_up(self) -> dict[str, int]:
        """Remove expired unsaved drafts, orphaned uploads and unfinished deletions."""
        now = utc_now()
        counts = {"orphan_uploads": 0, "expired_drafts": 0, "deletions": 0}
        orphan_cutoff = now - timedelta(seconds=self.settings.orphan_upload_age_s)
        for raw in await self.repository.stale_uploads(orphan_cutoff):
            await self.files.delete_prefix(object_keys.document_prefix(raw["owner_id"], raw["_id"]))
            await self.repository.abandon_upload(raw["_id"])
            counts["orphan_uploads"] += 1
        draft_cutoff = now - timedelta(seconds=self.settings.draft_ttl_s)
        for document_id in await self.repository.expired_draft_ids(draft_cutoff):
            expired = await self.repository.expire_draft(document_id, draft_cutoff, now)
            if expired is not None:
                await self._purge(expired.owner_id, document_id)
                counts["expired_drafts"] += 1
        for document in await self.repository.stuck_deletions(now - STUCK_DELETION_AGE):
            await self._purge(document.owner_id, document.id)
            counts["deletions"] += 1
        if any(counts.values()):
            logger.info("vault cleanup", extra=counts)
        return counts
