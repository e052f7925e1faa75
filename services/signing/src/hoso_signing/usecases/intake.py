"""Intake: accept a request, prepare the document to sign and ask the CA for the signature."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import bson

from hoso_common.events import SignRequested
from hoso_common.storage import ObjectNotFound
from hoso_common.telemetry import trace_headers
from hoso_signing.crypto.cades import prepare_cades
from hoso_signing.crypto.pades import PreparedSignature, Stamp, UnsignableDocument
from hoso_signing.crypto.pki import load_certificate, summarize
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.domain.states import SignStatus
from hoso_signing.providers import ProviderError
from hoso_signing.usecases.context import SigningContext

logger = logging.getLogger(__name__)


class Intake:
    def __init__(self, context: SigningContext) -> None:
        self.context = context

    async def accept(self, event: SignRequested) -> None:
        """Store the request once (the request id is the key), then move it as far as it goes."""
        # The poller, the sweep and the finisher resume this trace later, so the approval and
        # SignCompleted join the journey of the document being signed.
        request = SignRequest.requested(event, self.context.clock(), trace_headers())
        if await self.context.requests.insert(request):
            await self.advance(request.id, request)
        else:
            logger.info("sign request seen again", extra={"request_id": request.id})
            await self.advance(request.id)

    async def advance(self, request_id: str, request: SignRequest | None = None) -> None:
        """Resume a request that has not reached the CA yet (also after a crash)."""
        if request is None:
            request = await self.context.requests.get(request_id)
        if request is not None and request.status is SignStatus.REQUESTED:
            async with self.context.throttles.prepare_slots:
                request = await self._prepare(request)
        if request is not None and request.status is SignStatus.PREPARED:
            await self._ask(request)

    async def _prepare(self, request: SignRequest) -> SignRequest | None:
        context = self.context
        settings = context.settings
        provider = context.provider_of(request)
        if provider is None:
            return await context.fail(request, "unknown_provider")
        try:
            certificate = await context.certificates.get(provider, request.signer_id)
        except ProviderError as error:
            if error.retryable:
                raise
            return await context.fail(request, f"provider_{error.code or 'error'}")
        ref = request.object
        if ref is None:
            return await context.fail(request, "source_missing")
        try:
            data = await context.files.read_source(
                ref.bucket, ref.key, limit=settings.max_input_bytes
            )
        except ObjectNotFound:
            return await context.fail(request, "source_missing")
        except ValueError:
            return await context.fail(request, "source_too_large")
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            return await context.fail(request, "source_changed")
        is_pdf = ref.content_type == "application/pdf" or data.lstrip()[:5] == b"%PDF-"
        prepared_key = None
        try:
            prepared: PreparedSignature
            if is_pdf:
                stamp = request.visible_stamp
                prepared = await context.pades.prepare(
                    data,
                    certificate=certificate.certificate,
                    chain=certificate.chain,
                    request_id=request.id,
                    reason=request.reason,
                    location=request.location,
                    stamp=Stamp(page=stamp.page, box=stamp.box) if stamp else None,
                )
                # The finishing state travels with the document, so the request stays small in
                # the database.
                bundle = bson.encode({"state": prepared.state, "document": prepared.document})
                prepared_key = await context.files.keep_prepared(request.id, bundle)
                context.prepared.put(prepared_key, bundle)
            else:
                prepared = prepare_cades(
                    data,
                    certificate=certificate.certificate,
                    chain=certificate.chain,
                    level=settings.pades_level,
                )
        except UnsignableDocument as error:
            logger.info(
                "document cannot be signed",
                extra={"request_id": request.id, "reason": error.code, "detail": error.message},
            )
            return await context.fail(request, error.code)
        summary = summarize(load_certificate(certificate.certificate))
        # The key of the prepared document (or the CAdES state) is written with the status
        # change: a slower duplicate attempt can no longer replace what went to the CA.
        moved = await context.requests.move(
            request.id,
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
                "prepared_by": context.owner,
            },
            context.clock(),
        )
        if moved is None:
            return await context.requests.get(request.id, light=True)
        return moved

    async def _ask(self, request: SignRequest) -> None:
        context = self.context
        settings = context.settings
        provider = context.provider_of(request)
        if provider is None:
            await context.fail(request, "unknown_provider")
            return
        try:
            certificate = await context.certificates.get(provider, request.signer_id)
            ticket = await provider.sign_hash(
                certificate=certificate,
                request_id=request.id,
                digest=request.to_be_signed or b"",
                document_name=request.document_name,
                file_type="pdf" if request.format == "pades" else "other",
            )
        except ProviderError as error:
            if error.retryable:
                raise
            await context.fail(request, f"provider_{error.code or 'error'}")
            return
        now = context.clock()
        first_poll = (
            settings.vnpt_poll_after_s if provider.supports_webhook else settings.poll_interval_s
        )
        await context.requests.move(
            request.id,
            SignStatus.PREPARED,
            SignStatus.AWAITING_APPROVAL,
            {
                "transaction_id": ticket.transaction_id,
                "tran_code": ticket.code,
                "awaiting_since": now,
                "expires_at": now
                + timedelta(seconds=settings.ca_request_ttl_s + settings.expiry_margin_s),
                "next_poll_at": now + timedelta(seconds=first_poll),
            },
            now,
        )
