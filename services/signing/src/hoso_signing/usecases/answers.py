"""Answers: the CA's callbacks and polled answers, and the reconciler's status queries."""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import timedelta
from typing import Any, Literal

from hoso_common.events import (
    ObjectRef,
    SignApproved,
    SignCompleted,
    SignStatusQueried,
)
from hoso_common.telemetry import resumed_trace
from hoso_signing.domain.states import (
    SignStatus,
    is_final,
    status_after_answer,
)
from hoso_signing.metrics import record_outcome
from hoso_signing.providers import ProviderAnswer, ProviderError
from hoso_signing.repository import Doc
from hoso_signing.usecases.base import AnswerResult, WorkflowBase

logger = logging.getLogger(__name__)


class Answers(WorkflowBase):
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
        with resumed_trace(doc.get("trace")):
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
            with resumed_trace(doc.get("trace"), "signing status poll"):
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
