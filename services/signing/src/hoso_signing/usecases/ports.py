"""What the signing use cases need from the outside: the sign requests, files and PAdES engine.

`SignRequestRepository`, `ObjectStorage` and `PadesEngine` are the production adapters; the
unit tests give in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from hoso_common.events import EventData
from hoso_common.storage import StoredObject
from hoso_signing.crypto.pades import FinishedSignature, PreparedSignature, Stamp
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.domain.states import SignStatus


class SignRequests(Protocol):
    """Sign requests, changed only by conditional updates from an expected state.

    A change that carries events stores them in the request's outbox and has them published.
    """

    async def insert(self, request: SignRequest) -> bool: ...

    async def get(self, request_id: str, *, light: bool = False) -> SignRequest | None: ...

    async def get_for_signer(self, request_id: str, signer_sub: str) -> SignRequest | None: ...

    async def find_by_transaction(
        self, provider: str, transaction_id: str
    ) -> SignRequest | None: ...

    async def move(
        self,
        request_id: str,
        expected: SignStatus,
        target: SignStatus,
        fields: Mapping[str, Any],
        now: datetime,
    ) -> SignRequest | None: ...

    async def record_answer(
        self,
        request_id: str,
        *,
        provider: str,
        transaction_id: str,
        target: SignStatus,
        fields: Mapping[str, Any],
        now: datetime,
        events: Sequence[EventData],
    ) -> SignRequest | None: ...

    async def fail(
        self, request_id: str, reason: str, now: datetime, events: Sequence[EventData]
    ) -> SignRequest | None: ...

    async def due_for_poll(self, now: datetime, limit: int) -> list[str]: ...

    async def claim_poll(
        self, request_id: str, owner: str, now: datetime, lease: timedelta
    ) -> SignRequest | None: ...

    async def release_poll(self, request_id: str, owner: str, next_poll_at: datetime) -> None: ...

    async def claim_finish(
        self, request_id: str, owner: str, token: str, now: datetime, lease: timedelta
    ) -> SignRequest | None: ...

    async def still_finishing(
        self, request_id: str, token: str, now: datetime, lease: timedelta
    ) -> bool: ...

    async def complete(
        self,
        request_id: str,
        token: str,
        fields: Mapping[str, Any],
        now: datetime,
        events: Sequence[EventData],
    ) -> SignRequest | None: ...

    async def release_finish(
        self, request_id: str, token: str, *, refund: bool = False
    ) -> None: ...

    async def expired_awaiting(self, now: datetime) -> list[str]: ...

    async def stale_finishes(self, now: datetime, approved_before: datetime) -> list[str]: ...

    async def stuck_before_approval(self, before: datetime) -> list[str]: ...


class FileStore(Protocol):
    async def read_bytes(self, bucket: str, key: str, *, limit: int = ...) -> bytes: ...

    async def put_bytes(
        self, bucket: str, key: str, data: bytes, *, content_type: str = ...
    ) -> StoredObject: ...


class PdfSigner(Protocol):
    """PAdES in two halves: prepare a digest for the CA, then embed the CA's signature."""

    async def prepare(
        self,
        pdf: bytes,
        *,
        certificate: bytes,
        chain: tuple[bytes, ...],
        request_id: str,
        reason: str | None,
        location: str | None,
        stamp: Stamp | None,
    ) -> PreparedSignature: ...

    async def finish(
        self, document: bytes, state: dict[str, Any], signature_value: bytes
    ) -> FinishedSignature: ...
