"""What the signing use cases share: their collaborators, caches and the outcome helpers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from hoso_common.clock import utc_now
from hoso_common.events import (
    SignCompleted,
)
from hoso_common.storage import ObjectStorage
from hoso_signing.config import Settings
from hoso_signing.crypto.pades import (
    PadesEngine,
)
from hoso_signing.crypto.pki import HttpxTimeStamper
from hoso_signing.domain.states import (
    SignStatus,
    completed_outcome,
)
from hoso_signing.metrics import record_outcome
from hoso_signing.providers import ProviderClient, SignerCertificate
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


class WorkflowBase:
    """The collaborators and caches of the signing use cases; each use case is a module."""

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

    def _provider(self, doc: Doc) -> ProviderClient | None:
        return self.providers.get(str(doc["provider"]))

    # Outcomes ------------------------------------------------------------------------

    def _completed(self, doc: Doc, status: SignStatus, **fields: Any) -> SignCompleted:
        return SignCompleted(
            request_id=str(doc["_id"]),
            source=doc["source"],
            source_id=str(doc["source_id"]),
            status=completed_outcome(status),
            signer_sub=doc.get("signer_sub") or None,
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
