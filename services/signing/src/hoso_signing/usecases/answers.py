"""Answers: the CA's callbacks, OTPs and polled answers, expiry, and the reconciler's queries."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from datetime import timedelta
from typing import Any, Literal

from hoso_common.errors import BadRequest, NotFound
from hoso_common.events import EventData, SignApproved, SignCompleted, SignStatusQueried
from hoso_common.telemetry import resumed_trace
from hoso_signing.domain.sign_request import AnswerVia, RecordedAnswer, SignRequest
from hoso_signing.domain.states import SignStatus, is_final, status_after_answer
from hoso_signing.domain.webhooks import verify_webhook
from hoso_signing.errors import (
    CallbackRefused,
    OtpInvalid,
    OtpNotExpected,
    ProviderUnavailable,
    UnknownProvider,
)
from hoso_signing.metrics import record_outcome
from hoso_signing.providers import OtpAuthorizer, OtpRefused, ProviderAnswer, ProviderError
from hoso_signing.usecases.context import SigningContext

logger = logging.getLogger(__name__)

AnswerResult = Literal["recorded", "duplicate", "unknown", "ignored"]


class Answers:
    def __init__(self, context: SigningContext) -> None:
        self.context = context

    async def receive_callback(
        self, provider_id: str, body: bytes, *, timestamp: str | None, signature: str | None
    ) -> AnswerResult:
        """Verify a CA's callback and record its answer; the finish is left to the queue."""
        settings = self.context.settings
        refused = verify_webhook(
            secret=settings.webhook_secret.get_secret_value(),
            timestamp=timestamp,
            signature=signature,
            body=body,
            now=time.time(),
            window_s=settings.webhook_window_s,
        )
        if refused is not None:
            raise CallbackRefused(extra={"reason": refused})
        client = self.context.providers.get(provider_id)
        if client is None or not client.supports_webhook:
            raise UnknownProvider()
        try:
            parsed = client.parse_webhook(body)
        except ProviderError as error:
            raise BadRequest("Nội dung thông báo không hợp lệ.") from error
        result = await self.record_answer(
            provider_id=provider_id,
            transaction_id=parsed.transaction_id,
            request_id=parsed.request_id,
            answer=parsed.answer,
            via="webhook",
        )
        if result == "unknown":
            raise NotFound("Không tìm thấy yêu cầu ký số tương ứng.")
        return result

    async def authorize_otp(self, request_id: str, signer_sub: str, otp: str) -> SignRequest:
        """Pass the signer's OTP to the CA and record its answer; the request as it is now."""
        requests = self.context.requests
        request = await requests.get_for_signer(request_id, signer_sub)
        if request is None:
            raise NotFound("Không tìm thấy yêu cầu ký số.")
        provider = self.context.provider_of(request)
        if (
            not isinstance(provider, OtpAuthorizer)
            or not provider.uses_otp
            or request.status is not SignStatus.AWAITING_APPROVAL
            or not request.transaction_id
        ):
            raise OtpNotExpected()
        try:
            answer = await provider.authorize_otp(
                transaction_id=request.transaction_id, user_id=request.signer_id, otp=otp
            )
        except OtpRefused as refused:
            raise OtpInvalid(
                f"Mã OTP không đúng. Bạn còn {refused.attempts_left} lần thử.",
                extra={"attempts_left": refused.attempts_left},
            ) from None
        except ProviderError as error:
            raise ProviderUnavailable(extra={"reason": error.code}) from error
        if answer.outcome != "pending":
            await self.record_answer(
                provider_id=request.provider,
                transaction_id=request.transaction_id,
                request_id=request_id,
                answer=answer,
                via="otp",
            )
        return await requests.get_for_signer(request_id, signer_sub) or request

    async def record_answer(
        self,
        *,
        provider_id: str,
        transaction_id: str,
        request_id: str | None,
        answer: ProviderAnswer,
        via: AnswerVia,
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
        requests = self.context.requests
        if request_id:
            request = await requests.get(request_id, light=True)
        else:
            request = await requests.find_by_transaction(provider_id, transaction_id)
        if request is None or request.provider != provider_id:
            return "unknown"
        if request.transaction_id not in (None, transaction_id):
            return "unknown"
        if answer.outcome == "pending":
            return "ignored"
        with resumed_trace(request.trace):
            applied = await self._apply_answer(
                request.id, request, provider_id, transaction_id, answer, via
            )
        return "recorded" if applied else "duplicate"

    async def _apply_answer(
        self,
        request_id: str,
        request: SignRequest | None,
        provider_id: str,
        transaction_id: str,
        answer: ProviderAnswer,
        via: AnswerVia,
    ) -> bool:
        """prepared/awaiting -> the answer's state, with its events; False when nothing matched.

        `request` (as stored) is needed for the SignCompleted of a final answer only.
        """
        target = status_after_answer(answer.outcome)
        now = self.context.clock()
        reason = answer.reason if answer.outcome == "failed" else answer.outcome
        events: list[EventData] = [
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
        recorded = RecordedAnswer(outcome=answer.outcome, reason=answer.reason, via=via, at=now)
        fields: dict[str, Any] = {"answer": recorded.model_dump()}
        if target is SignStatus.APPROVED:
            fields["signature_value"] = answer.signature_value
        elif request is not None:
            fields["failure_reason"] = reason
            fields["completed_at"] = now
            events.append(request.completed(target, failure_reason=reason))
        else:
            raise ValueError("a final answer needs the stored request for its SignCompleted")
        moved = await self.context.requests.record_answer(
            request_id,
            provider=provider_id,
            transaction_id=transaction_id,
            target=target,
            fields=fields,
            now=now,
            events=events,
        )
        if moved is None:
            return False
        if target is not SignStatus.APPROVED:
            record_outcome(provider_id, target.value, reason)
        return True

    # Reconciliation ----------------------------------------------------------------------

    async def answer_status_query(self, query: SignStatusQueried) -> SignCompleted | None:
        """The outcome to announce again for a service that waited too long for it.

        A request never received here is ended as failed first, so a late SignRequested
        finds it final and cannot start a signature that nobody waits for any more. A request
        still in progress answers nothing: it will end (at the latest when it expires) and
        announce that itself.
        """
        requests = self.context.requests
        request = await requests.get(query.request_id, light=True)
        if request is None:
            lost = SignRequest.lost(
                query.request_id, query.source, query.source_id, self.context.clock()
            )
            if not await requests.insert(lost):
                request = await requests.get(query.request_id, light=True)
            else:
                logger.warning(
                    "status query for a request never received; ended as failed",
                    extra={"request_id": query.request_id, "source": query.source},
                )
                request = lost
        if request is None or request.source != query.source:
            return None
        if not is_final(request.status):
            logger.info(
                "status query for a request still in progress",
                extra={"request_id": query.request_id, "status": request.status.value},
            )
            return None
        return request.announced_again()

    # Polling and expiry ------------------------------------------------------------------

    async def poll_due(self, limit: int = 32) -> int:
        """Claim due awaiting requests (lease) and ask their CA; returns how many were polled."""
        context = self.context
        lease = timedelta(seconds=context.settings.poll_lease_s)
        claimed: list[SignRequest] = []
        for request_id in await context.requests.due_for_poll(context.clock(), limit):
            request = await context.requests.claim_poll(
                request_id, context.owner, context.clock(), lease
            )
            if request is not None:
                claimed.append(request)
        await asyncio.gather(*(self._poll_one(request) for request in claimed))
        return len(claimed)

    async def _poll_one(self, request: SignRequest) -> None:
        context = self.context
        provider = context.provider_of(request)
        transaction_id = request.transaction_id or ""
        answer: ProviderAnswer | None = None
        if provider is not None:
            try:
                answer = await provider.get_status(
                    transaction_id=transaction_id, user_id=request.signer_id
                )
            except ProviderError as error:
                logger.warning(
                    "status poll failed",
                    extra={"request_id": request.id, "error": str(error)},
                )
        if answer is not None and answer.outcome != "pending":
            with resumed_trace(request.trace, "signing status poll"):
                await self.record_answer(
                    provider_id=request.provider,
                    transaction_id=transaction_id,
                    request_id=request.id,
                    answer=answer,
                    via="poll",
                )
            return
        await context.requests.release_poll(
            request.id,
            context.owner,
            context.clock() + timedelta(seconds=context.settings.poll_interval_s),
        )

    async def expire(self, request_id: str) -> None:
        """End a request the CA never answered in time as expired."""
        request = await self.context.requests.get(request_id, light=True)
        if request is None:
            return
        await self.record_answer(
            provider_id=request.provider,
            transaction_id=request.transaction_id or "",
            request_id=request_id,
            answer=ProviderAnswer(outcome="expired", reason="expired"),
            via="poll",
        )
