"""In-memory stand-ins for the sign requests, the object store, the PAdES engine and a CA."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from hoso_common.events import EventData
from hoso_common.storage import ObjectNotFound, StoredObject
from hoso_signing.crypto.pades import (
    FinishedSignature,
    InvalidProviderSignature,
    PreparedSignature,
)
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.domain.states import FINAL_STATES, SignStatus, sources_of
from hoso_signing.providers import (
    ProviderAnswer,
    ProviderError,
    SignerCertificate,
    SignTicket,
    WebhookAnswer,
)
from hoso_testing.signing.pki import ThrowawayPki

Raw = dict[str, Any]


class FakeSignRequests:
    """The repository's rules on a dict: insert once per id, changes only from expected states.

    The events of a change are kept per request, as the outbox would hold them.
    """

    def __init__(self) -> None:
        self.raw: dict[str, Raw] = {}
        self.events: dict[str, list[EventData]] = {}

    def __getitem__(self, request_id: str) -> SignRequest:
        return SignRequest.model_validate({**self.raw[request_id], "id": request_id})

    def put(self, request: SignRequest, **extra: Any) -> None:
        self.raw[request.id] = {**request.model_dump(exclude_none=True), **extra}

    def _get(self, request_id: str) -> SignRequest | None:
        return self[request_id] if request_id in self.raw else None

    def _change(
        self,
        request_id: str,
        expected: Sequence[SignStatus],
        target: SignStatus,
        fields: Mapping[str, Any],
        now: datetime,
        events: Sequence[EventData] = (),
        unset: Sequence[str] = (),
        **conditions: Any,
    ) -> SignRequest | None:
        raw = self.raw.get(request_id)
        if raw is None or raw["status"] not in expected:
            return None
        if any(raw.get(name) not in allowed for name, allowed in conditions.items()):
            return None
        raw.update(fields, status=target, updated_at=now)
        for name in unset:
            raw.pop(name, None)
        self.events.setdefault(request_id, []).extend(events)
        return self[request_id]

    async def insert(self, request: SignRequest) -> bool:
        if request.id in self.raw:
            return False
        self.put(request)
        return True

    async def get(self, request_id: str, *, light: bool = False) -> SignRequest | None:
        return self._get(request_id)

    async def get_for_signer(self, request_id: str, signer_sub: str) -> SignRequest | None:
        found = self._get(request_id)
        return found if found is not None and found.signer_sub == signer_sub else None

    async def find_by_transaction(self, provider: str, transaction_id: str) -> SignRequest | None:
        for request_id, raw in self.raw.items():
            if raw.get("transaction_id") == transaction_id and raw["provider"] == provider:
                return self[request_id]
        return None

    async def move(
        self,
        request_id: str,
        expected: SignStatus,
        target: SignStatus,
        fields: Mapping[str, Any],
        now: datetime,
    ) -> SignRequest | None:
        return self._change(request_id, [expected], target, fields, now)

    async def record_answer(self, request_id: str, **answer: Any) -> SignRequest | None:
        transaction_id = answer["transaction_id"]
        return self._change(
            request_id,
            [SignStatus.PREPARED, SignStatus.AWAITING_APPROVAL],
            answer["target"],
            {**answer["fields"], "transaction_id": transaction_id},
            answer["now"],
            answer["events"],
            unset=["poll_lease_until", "poll_owner", "next_poll_at"],
            provider=[answer["provider"]],
            transaction_id=[None, transaction_id],
        )

    async def fail(
        self, request_id: str, reason: str, now: datetime, events: Sequence[EventData]
    ) -> SignRequest | None:
        return self._change(
            request_id,
            sources_of(SignStatus.FAILED),
            SignStatus.FAILED,
            {"failure_reason": reason, "completed_at": now},
            now,
            events,
            unset=["poll_lease_until", "poll_owner", "finish_lease_until", "state"],
        )

    async def due_for_poll(self, now: datetime, limit: int) -> list[str]:
        return [
            request_id
            for request_id, raw in self.raw.items()
            if raw["status"] == SignStatus.AWAITING_APPROVAL and raw["next_poll_at"] <= now
        ][:limit]

    async def claim_poll(
        self, request_id: str, owner: str, now: datetime, lease: timedelta
    ) -> SignRequest | None:
        raw = self.raw[request_id]
        if raw.get("poll_lease_until") is not None and raw["poll_lease_until"] >= now:
            return None
        raw.update(poll_lease_until=now + lease, poll_owner=owner)
        return self[request_id]

    async def release_poll(self, request_id: str, owner: str, next_poll_at: datetime) -> None:
        raw = self.raw[request_id]
        if raw.get("poll_owner") == owner:
            raw["next_poll_at"] = next_poll_at
            raw.pop("poll_lease_until", None)
            raw.pop("poll_owner", None)

    async def claim_finish(
        self, request_id: str, owner: str, token: str, now: datetime, lease: timedelta
    ) -> SignRequest | None:
        raw = self.raw[request_id]
        stale = raw["status"] == SignStatus.FINISHING and raw.get("finish_lease_until", now) <= now
        if raw["status"] != SignStatus.APPROVED and not stale:
            return None
        raw.update(
            status=SignStatus.FINISHING,
            finish_owner=owner,
            finish_token=token,
            finish_lease_until=now + lease,
            finish_attempts=raw.get("finish_attempts", 0) + 1,
        )
        return self[request_id]

    async def still_finishing(
        self, request_id: str, token: str, now: datetime, lease: timedelta
    ) -> bool:
        raw = self.raw[request_id]
        return bool(raw["status"] == SignStatus.FINISHING and raw.get("finish_token") == token)

    async def complete(
        self,
        request_id: str,
        token: str,
        fields: Mapping[str, Any],
        now: datetime,
        events: Sequence[EventData],
    ) -> SignRequest | None:
        return self._change(
            request_id,
            [SignStatus.FINISHING],
            SignStatus.COMPLETED,
            {**fields, "completed_at": now},
            now,
            events,
            unset=["finish_lease_until", "state"],
            finish_token=[token],
        )

    async def release_finish(self, request_id: str, token: str, *, refund: bool = False) -> None:
        raw = self.raw[request_id]
        if raw["status"] == SignStatus.FINISHING and raw.get("finish_token") == token:
            raw.pop("finish_lease_until", None)
            if refund:
                raw["finish_attempts"] -= 1

    async def expired_awaiting(self, now: datetime) -> list[str]:
        awaiting = (SignStatus.AWAITING_APPROVAL, SignStatus.PREPARED)
        return [
            request_id
            for request_id, raw in self.raw.items()
            if raw["status"] in awaiting and raw.get("expires_at", now) < now
        ]

    async def stale_finishes(self, now: datetime, approved_before: datetime) -> list[str]:
        return [
            request_id
            for request_id, raw in self.raw.items()
            if (raw["status"] == SignStatus.FINISHING and raw.get("finish_lease_until", now) <= now)
            or (raw["status"] == SignStatus.APPROVED and raw["updated_at"] < approved_before)
        ]

    async def stuck_before_approval(self, before: datetime) -> list[str]:
        early = (SignStatus.REQUESTED, SignStatus.PREPARED)
        return [
            request_id
            for request_id, raw in self.raw.items()
            if raw["status"] in early and raw["updated_at"] < before
        ]

    def final(self) -> dict[str, SignStatus]:
        return {
            request_id: self[request_id].status
            for request_id in self.raw
            if self[request_id].status in FINAL_STATES
        }


class FakeStorage:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    async def read_bytes(self, bucket: str, key: str, *, limit: int = 64 * 1024 * 1024) -> bytes:
        if (bucket, key) not in self.objects:
            raise ObjectNotFound(f"{bucket}/{key}")
        data = self.objects[(bucket, key)]
        if len(data) > limit:
            raise ValueError("object larger than the limit")
        return data

    async def put_bytes(
        self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        self.objects[(bucket, key)] = data
        digest = hashlib.sha256(data).hexdigest()
        return StoredObject(bucket=bucket, key=key, size=len(data), sha256=digest, etag=digest)


class FakePades:
    """Prepares by hashing the file and finishes by appending the signature (no real PDF work)."""

    def __init__(self, signed_at: datetime) -> None:
        self.signed_at = signed_at

    async def prepare(self, pdf: bytes, **options: Any) -> PreparedSignature:
        digest = hashlib.sha256(pdf).digest()
        state = {"format": "pades", "digest": digest, "certificate": options["certificate"]}
        return PreparedSignature(document=pdf, to_be_signed=digest, state=state)

    async def finish(
        self, document: bytes, state: dict[str, Any], signature_value: bytes
    ) -> FinishedSignature:
        key = x509.load_der_x509_certificate(bytes(state["certificate"])).public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        try:
            key.verify(
                signature_value,
                bytes(state["digest"]),
                padding.PKCS1v15(),
                Prehashed(hashes.SHA256()),
            )
        except InvalidSignature as error:
            raise InvalidProviderSignature("signature over another digest") from error
        return FinishedSignature(
            document=document + b"%signed", signed_at=self.signed_at, level="B-LT"
        )


class FakeCa:
    """A CA whose citizen answers with `outcome`; its signature is the digest, signed."""

    provider_id = "vnpt-smartca"
    display_name = "VNPT SmartCA"

    def __init__(self, pki: ThrowawayPki, *, supports_webhook: bool = True) -> None:
        self.pki = pki
        self.supports_webhook = supports_webhook
        self.asked: dict[str, bytes] = {}
        self.outcome: Literal["pending", "approved", "rejected", "expired", "failed"] = "pending"
        self.refuse_certificate: ProviderError | None = None

    async def get_certificate(self, user_id: str) -> SignerCertificate:
        if self.refuse_certificate is not None:
            raise self.refuse_certificate
        return SignerCertificate(
            provider=self.provider_id,
            user_id=user_id,
            certificate=self.pki.leaf,
            chain=(self.pki.issuing, self.pki.root),
            serial_number="01",
        )

    async def sign_hash(self, *, request_id: str, digest: bytes, **_: Any) -> SignTicket:
        transaction_id = f"tx-{request_id}"
        self.asked[transaction_id] = digest
        return SignTicket(transaction_id=transaction_id, code="ABC123")

    def answer(self, transaction_id: str) -> ProviderAnswer:
        if self.outcome != "approved":
            return ProviderAnswer(outcome=self.outcome, reason=self.outcome)
        digest = self.asked[transaction_id]
        return ProviderAnswer(outcome="approved", signature_value=self.pki.sign_digest(digest))

    async def get_status(self, *, transaction_id: str, user_id: str) -> ProviderAnswer:
        return self.answer(transaction_id)

    def parse_webhook(self, body: bytes) -> WebhookAnswer:
        transaction_id = body.decode()
        return WebhookAnswer(
            transaction_id=transaction_id, request_id=None, answer=self.answer(transaction_id)
        )

    async def aclose(self) -> None:
        return None
