"""Signing metrics: requests by state, the finishing backlog's age, outcomes, provider calls.

The use cases report through `record_outcome`, `record_signed` and a `FinishTimer`; nothing
here decides anything about a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal, TypeVar

from hoso_common.metrics import Sample, Sampler, counter, durations, label, seconds_since
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.domain.states import FINAL_STATES, SignStatus
from hoso_signing.providers import (
    OtpAuthorizer,
    ProviderAnswer,
    ProviderClient,
    ProviderError,
    SignerCertificate,
    SignTicket,
    WebhookAnswer,
)
from hoso_signing.repository import SignRequestRepository

T = TypeVar("T")

# The states a request passes through on its way; the final ones are counted as outcomes.
PENDING_STATES = tuple(s for s in SignStatus if s not in FINAL_STATES)
BEHIND_STATES = (SignStatus.APPROVED, SignStatus.FINISHING)

OUTCOMES = counter(
    "hoso.signing.outcomes",
    "{request}",
    "Sign requests that reached a final state, by provider, outcome and reason.",
)
APPROVAL_TO_SIGNED = durations(
    "hoso.signing.approval_to_signed.duration",
    "Time from the citizen's approval to SignCompleted, by provider.",
)
PROVIDER_CALLS = durations(
    "hoso.signing.provider.call.duration",
    "Calls to a CA provider, by provider, operation and outcome.",
)


def record_outcome(provider: object, outcome: str, reason: object = None) -> None:
    OUTCOMES.add(
        1,
        {
            "provider": label("provider", provider),
            "outcome": label("outcome", outcome),
            "reason": label("reason", reason),
        },
    )


def record_signed(request: SignRequest, now: datetime) -> None:
    """A completed request: the outcome, and the time since the CA's approval."""
    record_outcome(request.provider, "completed")
    if request.answer is not None:
        APPROVAL_TO_SIGNED.record(
            seconds_since(request.answer.at, now.timestamp()),
            {"provider": label("provider", request.provider)},
        )


class FinishTimer:
    """The milliseconds between the steps of one finish, logged when it is done."""

    def __init__(self) -> None:
        self._marks = [("start", time.perf_counter())]

    def mark(self, step: str) -> None:
        self._marks.append((step, time.perf_counter()))

    def log(self, logger: logging.Logger, request_id: str) -> None:
        marks = self._marks
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


def register_gauges(repository: SignRequestRepository) -> Callable[[Sampler], None]:
    """Requests per pending state, and how long the oldest approved/finishing one has waited."""

    async def by_state() -> Sample:
        counts = []
        for state in PENDING_STATES:
            counts.append(({"state": state.value}, float(await repository.count_in(state))))
        return counts

    async def oldest_behind() -> Sample:
        ages = []
        for state in BEHIND_STATES:
            since = await repository.oldest_update_in(state)
            ages.append(({"state": state.value}, seconds_since(since)))
        return ages

    def register(sampler: Sampler) -> None:
        sampler.gauge(
            "hoso.signing.requests",
            by_state,
            unit="{request}",
            description="Sign requests in each state that is not final.",
        )
        sampler.gauge(
            "hoso.signing.oldest_pending_age",
            oldest_behind,
            unit="s",
            description="Time the oldest approved or finishing request has been in its state.",
        )

    return register


class MeteredProvider:
    """A provider client whose calls are timed and counted by operation and outcome."""

    def __init__(self, inner: ProviderClient) -> None:
        self.inner = inner
        self.provider_id = inner.provider_id
        self.display_name = inner.display_name
        self.supports_webhook = inner.supports_webhook

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        began = time.perf_counter()
        outcome: Literal["ok", "error", "retryable_error"] = "error"
        try:
            result = await call
            outcome = "ok"
            return result
        except ProviderError as error:
            outcome = "retryable_error" if error.retryable else "error"
            raise
        finally:
            PROVIDER_CALLS.record(
                time.perf_counter() - began,
                {
                    "provider": label("provider", self.provider_id),
                    "operation": operation,
                    "outcome": outcome,
                },
            )

    async def get_certificate(self, user_id: str) -> SignerCertificate:
        return await self._timed("get_certificate", self.inner.get_certificate(user_id))

    # The wrapper passes the OTP capability on: without it the API would never see that a
    # deployment's FPT-CA method is OTP.
    @property
    def uses_otp(self) -> bool:
        return isinstance(self.inner, OtpAuthorizer) and self.inner.uses_otp

    async def authorize_otp(self, *, transaction_id: str, user_id: str, otp: str) -> ProviderAnswer:
        if not isinstance(self.inner, OtpAuthorizer):
            raise ProviderError(
                f"{self.provider_id} takes no OTP", retryable=False, code="otp_not_expected"
            )
        return await self._timed(
            "authorize_otp",
            self.inner.authorize_otp(transaction_id=transaction_id, user_id=user_id, otp=otp),
        )

    async def sign_hash(
        self,
        *,
        certificate: SignerCertificate,
        request_id: str,
        digest: bytes,
        document_name: str,
        file_type: Literal["pdf", "other"],
    ) -> SignTicket:
        return await self._timed(
            "sign_hash",
            self.inner.sign_hash(
                certificate=certificate,
                request_id=request_id,
                digest=digest,
                document_name=document_name,
                file_type=file_type,
            ),
        )

    async def get_status(self, *, transaction_id: str, user_id: str) -> ProviderAnswer:
        return await self._timed(
            "get_status", self.inner.get_status(transaction_id=transaction_id, user_id=user_id)
        )

    def parse_webhook(self, body: bytes) -> WebhookAnswer:
        return self.inner.parse_webhook(body)

    async def aclose(self) -> None:
        await self.inner.aclose()
