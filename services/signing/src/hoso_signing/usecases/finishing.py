"""Finishing: embed the approved signature, store the signed file, announce the result."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from datetime import timedelta

import bson

from hoso_common.events import (
    ObjectRef,
)
from hoso_common.faults import is_transient
from hoso_common.storage import ObjectNotFound
from hoso_common.telemetry import resumed_trace
from hoso_signing.crypto.cades import finish_cades
from hoso_signing.crypto.pades import (
    FinishedSignature,
    InvalidProviderSignature,
)
from hoso_signing.domain.states import (
    SignStatus,
)
from hoso_signing.metrics import record_signed
from hoso_signing.repository import Doc
from hoso_signing.usecases.base import WorkflowBase, _safe_filename

logger = logging.getLogger(__name__)


class Finishing(WorkflowBase):
    async def finish(self, request_id: str) -> None:
        """Embed the CA's signature; one replica at a time, retried if it dies midway."""
        if request_id in self._finishing:
            return  # this replica is on it already (consumer and sweep can meet here)
        self._finishing.add(request_id)
        try:
            await self._finish(request_id)
        finally:
            self._finishing.discard(request_id)

    async def _finish(self, request_id: str) -> None:
        marks = [("start", time.perf_counter())]
        lease = timedelta(seconds=self.settings.finish_lease_s)
        token = uuid.uuid4().hex
        doc = await self.repository.claim_finish(request_id, self.owner, token, self.clock(), lease)
        if doc is None:
            return
        with resumed_trace(doc.get("trace")):
            await self._finish_claimed(doc, token, lease, marks)

    async def _finish_claimed(
        self, doc: Doc, token: str, lease: timedelta, marks: list[tuple[str, float]]
    ) -> None:
        request_id = str(doc["_id"])
        if int(doc.get("finish_attempts", 1)) > self.settings.finish_max_attempts:
            await self._fail(doc, "finish_attempts_exhausted")
            return
        claimed_at = time.monotonic()  # the lease runs from the claim
        marks.append(("claimed", time.perf_counter()))
        ref = ObjectRef(**doc["object"])
        signature = bytes(doc["signature_value"])
        try:
            finished: FinishedSignature
            if doc["format"] == "pades":
                key = str(doc["prepared_key"])
                bundle = self.prepared_cache.take(key) or await self.storage.read_bytes(
                    self.settings.bucket, key
                )
                marks.append(("read", time.perf_counter()))
                prepared = bson.decode(bundle)
                finished = await self.pades.finish(
                    bytes(prepared["document"]), prepared["state"], signature
                )
                filename, content_type = _safe_filename(ref.filename), "application/pdf"
            elif isinstance(state := doc.get("state"), dict):
                finished = await finish_cades(state, signature, self.timestamper)
                filename = _safe_filename(ref.filename) + ".p7s"
                content_type = "application/pkcs7-signature"
            else:
                await self._fail(doc, "finish_attempts_exhausted")
                return
        except InvalidProviderSignature:
            await self._fail(doc, "invalid_provider_signature")
            return
        except ObjectNotFound:
            await self._fail(doc, "prepared_missing")
            return
        except Exception as error:
            await self._give_back(request_id, token, error)
            raise
        # Renewed right before the write once half the lease is gone: a stalled attempt that
        # lost its claim stops here. Before that, no other replica can have taken it over.
        if time.monotonic() - claimed_at > lease.total_seconds() / 2 and not (
            await self.repository.still_finishing(request_id, token, self.clock(), lease)
        ):
            return
        marks.append(("signed", time.perf_counter()))
        # A deterministic key: a retry after a crash overwrites instead of adding a copy.
        key = f"signed/{request_id}/{filename}"
        try:
            stored = await self.storage.put_bytes(
                self.settings.bucket, key, finished.document, content_type=content_type
            )
        except Exception as error:
            await self._give_back(request_id, token, error)
            raise
        marks.append(("stored", time.perf_counter()))
        signed_object = ObjectRef(
            bucket=self.settings.bucket,
            key=key,
            version=ref.version + 1,
            sha256=stored.sha256,
            size=stored.size,
            content_type=content_type,
            filename=filename,
        )
        pades_level = finished.level if doc["format"] == "pades" else None
        event = self._completed(
            doc,
            SignStatus.COMPLETED,
            signed_object=signed_object,
            signature_format=doc["format"],
            signed_at=finished.signed_at,
            pades_level=pades_level,
        )
        moved = await self.repository.complete(
            request_id,
            token,
            {
                "signed_object": signed_object.model_dump(mode="json"),
                "signed_at": finished.signed_at,
                "signature_level": finished.level,
                "finished_by": self.owner,
            },
            self.clock(),
            [event],
        )
        marks.append(("completed", time.perf_counter()))
        if moved is not None:
            record_signed(doc, self.clock())
            self.announce(moved)
        logger.info(
            "sign request finished",
            extra={
                "request_id": request_id,
                "ms": {
                    name: round((at - marks[i][1]) * 1000, 1)
                    for i, (name, at) in enumerate(marks[1:])
                },
            },
        )

    async def _give_back(self, request_id: str, token: str, error: Exception) -> None:
        """Release a finish that failed; an outage of a dependency costs it no attempt."""
        transient = is_transient(error)
        if transient:
            logger.warning(
                "finish waits for a dependency",
                extra={"request_id": request_id, "error": repr(error)},
            )
        with contextlib.suppress(Exception):  # the claim's lease runs out by itself
            await self.repository.release_finish(request_id, token, refund=transient)
