"""Finishing: embed the CA's signature, store the signed file and complete the request."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from datetime import timedelta

import bson

from hoso_common.events import ObjectRef
from hoso_common.faults import is_transient
from hoso_common.storage import ObjectNotFound
from hoso_common.telemetry import resumed_trace
from hoso_signing.crypto.cades import finish_cades
from hoso_signing.crypto.pades import FinishedSignature, InvalidProviderSignature
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.domain.states import SignStatus
from hoso_signing.metrics import FinishTimer, record_signed
from hoso_signing.usecases.context import SigningContext, safe_filename

logger = logging.getLogger(__name__)


class Finishing:
    def __init__(self, context: SigningContext) -> None:
        self.context = context

    async def finish(self, request_id: str) -> None:
        """Embed the CA's signature; one replica at a time, retried if it dies midway."""
        in_flight = self.context.throttles.finishing
        if not in_flight.claim(request_id):
            return
        try:
            await self._finish(request_id)
        finally:
            in_flight.release(request_id)

    async def _finish(self, request_id: str) -> None:
        context = self.context
        timer = FinishTimer()
        lease = timedelta(seconds=context.settings.finish_lease_s)
        token = uuid.uuid4().hex
        request = await context.requests.claim_finish(
            request_id, context.owner, token, context.clock(), lease
        )
        if request is None:
            return
        with resumed_trace(request.trace):
            await self._finish_claimed(request, token, lease, timer)

    async def _finish_claimed(
        self, request: SignRequest, token: str, lease: timedelta, timer: FinishTimer
    ) -> None:
        context = self.context
        settings = context.settings
        if request.finish_attempts > settings.finish_max_attempts:
            await context.fail(request, "finish_attempts_exhausted")
            return
        claimed_at = time.monotonic()  # the lease runs from the claim
        timer.mark("claimed")
        ref = request.object
        signature = request.signature_value
        if ref is None or signature is None:
            await context.fail(request, "finish_attempts_exhausted")
            return
        try:
            finished: FinishedSignature
            if request.format == "pades":
                key = str(request.prepared_key)
                bundle = context.prepared.take(key) or await context.files.read_prepared(key)
                timer.mark("read")
                prepared = bson.decode(bundle)
                finished = await context.pades.finish(
                    bytes(prepared["document"]), prepared["state"], signature
                )
                filename, content_type = safe_filename(ref.filename), "application/pdf"
            elif request.state is not None:
                finished = await finish_cades(request.state, signature, context.timestamper)
                filename = safe_filename(ref.filename) + ".p7s"
                content_type = "application/pkcs7-signature"
            else:
                await context.fail(request, "finish_attempts_exhausted")
                return
        except InvalidProviderSignature:
            await context.fail(request, "invalid_provider_signature")
            return
        except ObjectNotFound:
            await context.fail(request, "prepared_missing")
            return
        except Exception as error:
            await self._give_back(request.id, token, error)
            raise
        # Renewed right before the write once half the lease is gone: a stalled attempt that
        # lost its claim stops here. Before that, no other replica can have taken it over.
        if time.monotonic() - claimed_at > lease.total_seconds() / 2 and not (
            await context.requests.still_finishing(request.id, token, context.clock(), lease)
        ):
            return
        timer.mark("signed")
        key = context.files.signed_key(request.id, filename)
        try:
            stored = await context.files.keep_signed(
                request.id, filename, finished.document, content_type=content_type
            )
        except Exception as error:
            await self._give_back(request.id, token, error)
            raise
        timer.mark("stored")
        signed_object = ObjectRef(
            bucket=settings.bucket,
            key=key,
            version=ref.version + 1,
            sha256=stored.sha256,
            size=stored.size,
            content_type=content_type,
            filename=filename,
        )
        event = request.completed(
            SignStatus.COMPLETED,
            signed_object=signed_object,
            signature_format=request.format,
            signed_at=finished.signed_at,
            pades_level=finished.level if request.format == "pades" else None,
        )
        moved = await context.requests.complete(
            request.id,
            token,
            {
                "signed_object": signed_object.model_dump(mode="json"),
                "signed_at": finished.signed_at,
                "signature_level": finished.level,
                "finished_by": context.owner,
            },
            context.clock(),
            [event],
        )
        timer.mark("completed")
        if moved is not None:
            record_signed(request, context.clock())
        timer.log(logger, request.id)

    async def _give_back(self, request_id: str, token: str, error: Exception) -> None:
        """Release a finish that failed; an outage of a dependency costs it no attempt."""
        transient = is_transient(error)
        if transient:
            logger.warning(
                "finish waits for a dependency",
                extra={"request_id": request_id, "error": repr(error)},
            )
        with contextlib.suppress(Exception):  # the claim's lease runs out by itself
            await self.context.requests.release_finish(request_id, token, refund=transient)
