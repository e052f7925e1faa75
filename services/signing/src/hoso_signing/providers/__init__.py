"""Remote-signing providers: the port every CA adapter implements, and its value types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

AnswerOutcome = Literal["pending", "approved", "rejected", "expired", "failed"]


class ProviderError(Exception):
    """A provider call failed; `retryable` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class OtpRefused(Exception):
    """The OTP was wrong; `attempts_left` more tries remain."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"wrong OTP, {attempts_left} attempts left")
        self.attempts_left = attempts_left


@dataclass(frozen=True)
class SignerCertificate:
    """A signer's certificate as the CA holds it, with the chain up to its root."""

    provider: str
    user_id: str
    certificate: bytes
    chain: tuple[bytes, ...]
    serial_number: str
    credential_id: str | None = None


@dataclass(frozen=True)
class SignTicket:
    """The CA's handle on a pending signature."""

    transaction_id: str
    code: str | None = None


@dataclass(frozen=True)
class ProviderAnswer:
    """What the CA says about a transaction."""

    outcome: AnswerOutcome
    signature_value: bytes | None = None
    reason: str | None = None


@dataclass(frozen=True)
class WebhookAnswer:
    """A parsed callback: which transaction, ours or the CA's id, and its answer."""

    transaction_id: str
    request_id: str | None
    answer: ProviderAnswer


class ProviderClient(Protocol):
    provider_id: str
    display_name: str
    supports_webhook: bool

    async def get_certificate(self, user_id: str) -> SignerCertificate: ...

    async def sign_hash(
        self,
        *,
        certificate: SignerCertificate,
        request_id: str,
        digest: bytes,
        document_name: str,
        file_type: Literal["pdf", "other"],
    ) -> SignTicket: ...

    async def get_status(self, *, transaction_id: str, user_id: str) -> ProviderAnswer: ...

    def parse_webhook(self, body: bytes) -> WebhookAnswer: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class OtpAuthorizer(Protocol):
    """A provider whose signer may authorize with a one-time code typed into the portal."""

    @property
    def uses_otp(self) -> bool: ...

    async def authorize_otp(
        self, *, transaction_id: str, user_id: str, otp: str
    ) -> ProviderAnswer: ...
