"""Intake: accept a request, prepare the document to sign and ask the CA for the signature."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import timedelta

import bson

from hoso_common.events import (
    ObjectRef,
    SignRequested,
)
from hoso_common.storage import ObjectNotFound
from hoso_common.telemetry import trace_headers
from hoso_signing.crypto.cades import prepare_cades
from hoso_signing.crypto.pades import (
    PreparedSignature,
    Stamp,
    UnsignableDocument,
)
from hoso_signing.crypto.pki import load_certificate, summarize
from hoso_signing.domain.states import (
    SignStatus,
)
from hoso_signing.providers import ProviderError
from hoso_signing.repository import Doc
from hoso_signing.usecases.base import WorkflowBase

logger = logging.getLogger(__name__)


class Intake(WorkflowBase):
    # Taking requests -------------------------------------------------------------------

    async def accept(self, request: SignRequested) -> None:
        """Store the request once (the request id is the key), then move it as far as it goes."""
        now = self.clock()
        doc: Doc = {
            "_id": request.request_id,
            "status": SignStatus.REQUESTED.value,
            "source": request.source,
            "source_id": request.source_id,
            "document_name": request.document_name,
            "object": request.object.model_dump(mode="json"),
            "signer_id": request.signer_id,
            "signer_sub": request.signer_sub,
            "provider": request.provider,
            "reason": request.reason,
            "location": request.location,
            "visible_stamp": (
                request.visible_stamp.model_dump(mode="json") if request.visible_stamp else None
            ),
            "created_at": now,
            "updated_at": now,
            # The poller, the sweep and the finisher resume this trace later, so the
            # approval and SignCompleted join the journey of the document being signed.
            "trace": trace_headers(),
            "outbox": [],
        }
        if await self.repository.insert_requested(doc):
            await self.advance(request.request_id, doc)
        else:
            logger.info("sign request seen again", extra={"request_id": request.request_id})
            await self.advance(request.request_id)

    async def advance(self, request_id: str, doc: Doc | None = None) -> None:
        """Resume a request that has not reached the CA yet (also after a crash)."""
        if doc is None:
            doc = await self.repository.get(request_id)
        if doc is not None and doc["status"] == SignStatus.REQUESTED.value:
            # Fewer prepares than finishes at a time: under a burst the CPU goes first to
            # requests the citizen has approved already.
            async with self._prepare_slots:
                doc = await self._prepare(doc)
        if doc is not None and doc["status"] == SignStatus.PREPARED.value:
            await self._ask(doc)

    async def _prepare(self, doc: Doc) -> Doc | None:
        request_id = str(doc["_id"])
        provider = self._provider(doc)
        if provider is None:
            return await self._fail(doc, "unknown_provider")
        try:
            certificate = await self.certificates.get(provider, str(doc["signer_id"]))
        except ProviderError as error:
            if error.retryable:
                raise
            return await self._fail(doc, f"provider_{error.code or 'error'}")
        ref = ObjectRef(**doc["object"])
        try:
            data = await self.storage.read_bytes(
                ref.bucket, ref.key, limit=self.settings.max_input_bytes
            )
        except ObjectNotFound:
            return await self._fail(doc, "source_missing")
        except ValueError:
            return await self._fail(doc, "source_too_large")
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            return await self._fail(doc, "source_changed")
        is_pdf = ref.content_type == "application/pdf" or data.lstrip()[:5] == b"%PDF-"
        prepared_key = None
        try:
            prepared: PreparedSignature
            if is_pdf:
                stamp = doc.get("visible_stamp")
                prepared = await self.pades.prepare(
                    data,
                    certificate=certificate.certificate,
                    chain=certificate.chain,
                    request_id=request_id,
                    reason=doc.get("reason"),
                    location=doc.get("location"),
                    stamp=Stamp(page=stamp["page"], box=tuple(stamp["box"])) if stamp else None,
                )
                # A unique key per attempt: a slower duplicate attempt never overwrites the
                # document whose digest the winning attempt stored. The finishing state
                # travels with the document, so the request stays small in the database.
                prepared_key = f"prepared/{request_id}/{uuid.uuid4().hex}.bson"
                bundle = bson.encode({"state": prepared.state, "document": prepared.document})
                await self.storage.put_bytes(
                    self.settings.bucket,
                    prepared_key,
                    bundle,
                    content_type="application/octet-stream",
                )
                self.prepared_cache.put(prepared_key, bundle)
            else:
                prepared = prepare_cades(
                    data,
                    certificate=certificate.certificate,
                    chain=certificate.chain,
                    level=self.settings.pades_level,
                )
        except UnsignableDocument as error:
            logger.info(
                "document cannot be signed",
                extra={"request_id": request_id, "reason": error.code, "detail": error.message},
            )
            return await self._fail(doc, error.code)
        summary = summarize(load_certificate(certificate.certificate))
        # The key of the prepared document (or the CAdES state) is written with the status
        # change: a slower duplicate attempt can no longer replace what went to the CA.
        moved = await self.repository.move(
            request_id,
            SignStatus.REQUESTED,
            SignStatus.PREPARED,
            {
                "format": prepared.state["format"],
                "state": None if prepared_key else prepared.state,
                "to_be_signed": prepared.to_be_signed,
                "prepared_key": prepared_key,
                "signer_subject": summary.subject,
                "signer_name": summary.common_name,
                "signer_serial": summary.serial_number,
                "prepared_by": self.owner,
            },
            self.clock(),
        )
        if moved is None:
            return await self.repository.get(request_id, light=True)
        return moved

    async def _ask(self, doc: Doc) -> None:
        request_id = str(doc["_id"])
        provider = self._provider(doc)
        if provider is None:
            await self._fail(doc, "unknown_provider")
            return
        try:
            certificate = await self.certificates.get(provider, str(doc["signer_id"]))
            ticket = await provider.sign_hash(
                certificate=certificate,
                request_id=request_id,
                digest=bytes(doc["to_be_signed"]),
                document_name=str(doc["document_name"]),
                file_type="pdf" if doc.get("format") == "pades" else "other",
            )
        except ProviderError as error:
            if error.retryable:
                raise
            await self._fail(doc, f"provider_{error.code or 'error'}")
            return
        now = self.clock()
        first_poll = (
            self.settings.vnpt_poll_after_s
            if provider.supports_webhook
            else self.settings.poll_interval_s
        )
        await self.repository.move(
            request_id,
            SignStatus.PREPARED,
            SignStatus.AWAITING_APPROVAL,
            {
                "transaction_id": ticket.transaction_id,
                "tran_code": ticket.code,
                "awaiting_since": now,
                "expires_at": now
                + timedelta(seconds=self.settings.ca_request_ttl_s + self.settings.expiry_margin_s),
                "next_poll_at": now + timedelta(seconds=first_poll),
            },
            now,
        )
