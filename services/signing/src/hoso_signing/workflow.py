"""The signing use cases: accept, prepare and ask the CA, record its answer, poll, finish, sweep."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

import bson

from hoso_common.clock import utc_now
from hoso_common.events import (
    ObjectRef,
    SignApproved,
    SignCompleted,
    SignRequested,
    SignStatusQueried,
)
from hoso_common.storage import ObjectNotFound, ObjectStorage
from hoso_signing.config import Settings
from hoso_signing.crypto.cades import finish_cades, prepare_cades
from hoso_signing.crypto.pades import (
    FinishedSignature,
    InvalidProviderSignature,
    PadesEngine,
    PreparedSignature,
    Stamp,
    UnsignableDocument,
)
from hoso_signing.crypto.pki import HttpxTimeStamper, load_certificate, summarize
from hoso_signing.domain.states import (
    SignStatus,
    completed_outcome,
    is_final,
    status_after_answer,
)
from hoso_signing.metrics import record_outcome, record_signed
from hoso_signing.providers import ProviderAnswer, ProviderClient, ProviderError, SignerCertificate
from hoso_signing.repository import Doc, SignRequestRepository

logger = logging.getLogger(__name__)

AnswerResult = Literal["recorded", "duplicate", "unknown", "ignored"]


class CertificateCache:
    """A signer's certificate from the CA, reused for a while instead of asked per request."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[tuple[str, str], tuple[SignerCertificate, float]] = {}

    async def get(self, provider: ProviderClient, user_id: str) -> SignerCertificate:
        key = (provider.provider_id, user_id)
        cached = self._entries.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        certificate = await provider.get_certificate(user_id)
        self._entries[key] = (certificate, time.monotonic() + self.ttl_s)
        return certificate

    def forget(self, provider_id: str, user_id: str) -> None:
        self._entries.pop((provider_id, user_id), None)


class PreparedCache:
    """Prepared documents this replica wrote, kept for its own finish (bounded, oldest out).

    The object store holds the copy every replica can read; a finish on the replica that
    prepared the request is spared reading it back.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        self._entries[key] = value
        self._size += len(value)
        while self._size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped)

    def take(self, key: str) -> bytes | None:
        value = self._entries.pop(key, None)
        if value is not None:
            self._size -= len(value)
        return value


def _safe_filename(name: str) -> str:
    cleaned = name.replace("/", "_").replace("\\", "_").strip() or "document"
    return cleaned[:200]


class SigningWorkflow:
    def __init__(
        self,
        *,
        settings: Settings,
        repository: SignRequestRepository,
        storage: ObjectStorage,
        providers: Mapping[str, ProviderClient],
        pades: PadesEngine,
        timestamper: HttpxTimeStamper,
        announce: Callable[[Doc], None] = lambda doc: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.repository = repository
        self.storage = storage
        self.providers = providers
        self.pades = pades
        self.timestamper = timestamper
        self.announce = announce
        self.clock = clock
        self.owner = settings.replica_id
        self.certificates = CertificateCache(settings.certificate_cache_s)
        self._finishing: set[str] = set()
        self.prepared_cache = PreparedCache(settings.prepared_cache_bytes)
        self._prepare_slots = asyncio.Semaphore(settings.prepare_concurrency)
        self._next_retake = 0.0

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

    def _provider(self, doc: Doc) -> ProviderClient | None:
        return self.providers.get(str(doc["provider"]))

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

    # Outcomes ------------------------------------------------------------------------

    def _completed(self, doc: Doc, status: SignStatus, **fields: Any) -> SignCompleted:
        return SignCompleted(
            request_id=str(doc["_id"]),
            source=doc["source"],
            source_id=str(doc["source_id"]),
            status=completed_outcome(status),
            signer_subject=doc.get("signer_subject"),
            signer_name=doc.get("signer_name"),
            signer_serial=doc.get("signer_serial"),
            **fields,
        )

    async def _fail(self, doc: Doc, reason: str) -> Doc | None:
        moved = await self.repository.fail(
            str(doc["_id"]),
            reason,
            self.clock(),
            [self._completed(doc, SignStatus.FAILED, failure_reason=reason)],
        )
        if moved is not None:
            record_outcome(doc.get("provider"), SignStatus.FAILED.value, reason)
            self.announce(moved)
        return moved

    async def record_answer(
        self,
        *,
        provider_id: str,
        transaction_id: str,
        request_id: str | None,
        answer: ProviderAnswer,
        via: Literal["webhook", "poll", "otp"],
    ) -> AnswerResult:
        """Conditional awaiting -> approved/rejected/expired/failed, with its events."""
        # An approval needs nothing from the stored request to build its event, so the read
        # is left out: the write's filter checks provider and transaction instead. When it
        # matches nothing, the path below tells unknown from duplicate.
        if (
            request_id
            and answer.outcome == "approved"
            and await self._apply_answer(request_id, None, provider_id, transaction_id, answer, via)
        ):
            return "recorded"
        if request_id:
            doc = await self.repository.get(request_id, light=True)
        else:
            doc = await self.repository.find_by_transaction(provider_id, transaction_id)
        if doc is None or doc["provider"] != provider_id:
            return "unknown"
        if doc.get("transaction_id") not in (None, transaction_id):
            return "unknown"
        if answer.outcome == "pending":
            return "ignored"
        applied = await self._apply_answer(
            str(doc["_id"]), doc, provider_id, transaction_id, answer, via
        )
        return "recorded" if applied else "duplicate"

    async def _apply_answer(
        self,
        request_id: str,
        doc: Doc | None,
        provider_id: str,
        transaction_id: str,
        answer: ProviderAnswer,
        via: Literal["webhook", "poll", "otp"],
    ) -> bool:
        """prepared/awaiting -> the answer's state, with its events; False when nothing matched.

        `doc` (the stored request) is needed for the SignCompleted of a final answer only.
        """
        target = status_after_answer(answer.outcome)
        now = self.clock()
        reason = answer.reason if answer.outcome == "failed" else answer.outcome
        events: list[Any] = [
            SignApproved(
                request_id=request_id,
                provider=provider_id,
                transaction_id=transaction_id,
                outcome=answer.outcome,
                signature_value=(
                    base64.b64encode(answer.signature_value).decode()
                    if answer.signature_value
                    else None
                ),
                reason=None if answer.outcome == "approved" else reason,
            )
        ]
        fields: Doc = {
            "transaction_id": transaction_id,
            "answer": {"outcome": answer.outcome, "reason": answer.reason, "via": via, "at": now},
        }
        if target is SignStatus.APPROVED:
            fields["signature_value"] = answer.signature_value
        elif doc is not None:
            fields["failure_reason"] = reason
            fields["completed_at"] = now
            events.append(self._completed(doc, target, failure_reason=reason))
        else:
            raise ValueError("a final answer needs the stored request for its SignCompleted")
        moved = await self.repository.move(
            request_id,
            [SignStatus.PREPARED, SignStatus.AWAITING_APPROVAL],
            target,
            fields,
            now,
            events=events,
            extra_filter={
                "provider": provider_id,
                "transaction_id": {"$in": [None, transaction_id]},
            },
            unset=["poll_lease_until", "poll_owner", "next_poll_at"],
        )
        if moved is None:
            return False
        if target is not SignStatus.APPROVED:
            record_outcome(provider_id, target.value, reason)
        self.announce(moved)
        return True

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
        except Exception:
            await self.repository.release_finish(request_id, token)
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
        stored = await self.storage.put_bytes(
            self.settings.bucket, key, finished.document, content_type=content_type
        )
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

    # Reconciliation ----------------------------------------------------------------------

    async def answer_status_query(self, query: SignStatusQueried) -> SignCompleted | None:
        """The outcome to announce again for a service that waited too long for it.

        A request never received here is ended as failed first, so a late SignRequested
        finds it final and cannot start a signature that nobody waits for any more. A request
        still in progress answers nothing: it will end (at the latest when it expires) and
        announce that itself.
        """
        doc = await self.repository.get(query.request_id, light=True)
        if doc is None:
            now = self.clock()
            tombstone: Doc = {
                "_id": query.request_id,
                "status": SignStatus.FAILED.value,
                "failure_reason": "request_lost",
                "source": query.source,
                "source_id": query.source_id,
                "document_name": "",
                "signer_id": "",
                "signer_sub": "",
                "provider": "",
                "created_at": now,
                "updated_at": now,
                "outbox": [],
            }
            if not await self.repository.insert_requested(tombstone):
                doc = await self.repository.get(query.request_id, light=True)
            else:
                logger.warning(
                    "status query for a request never received; ended as failed",
                    extra={"request_id": query.request_id, "source": query.source},
                )
                doc = tombstone
        if doc is None or str(doc.get("source")) != query.source:
            return None
        status = SignStatus(doc["status"])
        if not is_final(status):
            logger.info(
                "status query for a request still in progress",
                extra={"request_id": query.request_id, "status": status.value},
            )
            return None
        if status is SignStatus.COMPLETED:
            signed = doc.get("signed_object")
            return self._completed(
                doc,
                status,
                signed_object=ObjectRef(**signed) if signed else None,
                signature_format=doc.get("format"),
                signed_at=doc.get("signed_at"),
                pades_level=doc.get("signature_level") if doc.get("format") == "pades" else None,
                reconciled=True,
            )
        return self._completed(
            doc, status, failure_reason=doc.get("failure_reason"), reconciled=True
        )

    # Background work -------------------------------------------------------------------

    async def poll_due(self, limit: int = 32) -> int:
        """Claim due awaiting requests (lease) and ask their CA; returns how many were polled."""
        lease = timedelta(seconds=self.settings.poll_lease_s)
        claimed: list[Doc] = []
        for request_id in await self.repository.due_for_poll(self.clock(), limit):
            doc = await self.repository.claim_poll(request_id, self.owner, self.clock(), lease)
            if doc is not None:
                claimed.append(doc)
        await asyncio.gather(*(self._poll_one(doc) for doc in claimed))
        return len(claimed)

    async def _poll_one(self, doc: Doc) -> None:
        provider = self._provider(doc)
        answer: ProviderAnswer | None = None
        if provider is not None:
            try:
                answer = await provider.get_status(
                    transaction_id=str(doc["transaction_id"]), user_id=str(doc["signer_id"])
                )
            except ProviderError as error:
                logger.warning(
                    "status poll failed",
                    extra={"request_id": doc["_id"], "error": str(error)},
                )
        if answer is not None and answer.outcome != "pending":
            await self.record_answer(
                provider_id=str(doc["provider"]),
                transaction_id=str(doc["transaction_id"]),
                request_id=str(doc["_id"]),
                answer=answer,
                via="poll",
            )
            return
        await self.repository.release_poll(
            str(doc["_id"]),
            self.owner,
            self.clock() + timedelta(seconds=self.settings.poll_interval_s),
        )

    async def sweep(self) -> None:
        """Expire unanswered requests, retake dead replicas' finishes, fail stuck ones."""
        now = self.clock()
        for request_id in await self.repository.expired_awaiting(now):
            await self._expire(request_id)
        # Finishes go stale only after a lease or the approved grace period, so looking for
        # them every half of the shorter one is enough (the scan decodes every approved or
        # finishing request, a burst's worth of them).
        retake_every = max(
            self.settings.sweep_interval_s,
            min(self.settings.finish_lease_s, self.settings.approved_stale_s) / 2,
        )
        if time.monotonic() >= self._next_retake:
            self._next_retake = time.monotonic() + retake_every
            approved_before = now - timedelta(seconds=self.settings.approved_stale_s)
            for request_id in await self.repository.stale_finishes(now, approved_before):
                try:
                    await self.finish(request_id)
                except Exception:
                    logger.exception("finish retry failed", extra={"request_id": request_id})
        stuck_before = now - timedelta(seconds=self.settings.prepare_timeout_s)
        for request_id in await self.repository.stuck_before_approval(stuck_before):
            doc = await self.repository.get(request_id, light=True)
            if doc is not None:
                await self._fail(doc, "prepare_timeout")

    async def _expire(self, request_id: str) -> None:
        doc = await self.repository.get(request_id, light=True)
        if doc is None:
            return
        await self.record_answer(
            provider_id=str(doc["provider"]),
            transaction_id=str(doc.get("transaction_id") or ""),
            request_id=request_id,
            answer=ProviderAnswer(outcome="expired", reason="expired"),
            via="poll",
        )
