"""What the signing use cases share: their collaborators, the replica's caches and throttles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hoso_common.clock import utc_now
from hoso_signing.caches import CertificateCache, PreparedCache
from hoso_signing.config import Settings
from hoso_signing.crypto.pki import HttpxTimeStamper
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.domain.states import SignStatus
from hoso_signing.metrics import record_outcome
from hoso_signing.providers import ProviderClient
from hoso_signing.storage import SigningFiles
from hoso_signing.throttle import Throttles
from hoso_signing.usecases.ports import FileStore, PdfSigner, SignRequests


def _retake_every(settings: Settings) -> float:
    # Finishes go stale only after a lease or the approved grace period, so looking for them
    # every half of the shorter one is enough (the scan decodes every approved or finishing
    # request, a burst's worth of them).
    return max(
        settings.sweep_interval_s, min(settings.finish_lease_s, settings.approved_stale_s) / 2
    )


@dataclass
class SigningContext:
    """The collaborators of every signing use case, built once per replica."""

    settings: Settings
    requests: SignRequests
    storage: FileStore
    providers: Mapping[str, ProviderClient]
    pades: PdfSigner
    timestamper: HttpxTimeStamper | None = None
    clock: Callable[[], datetime] = utc_now
    certificates: CertificateCache = field(init=False)
    prepared: PreparedCache = field(init=False)
    throttles: Throttles = field(init=False)
    # The files of the signing service, in its bucket and the callers'.
    files: SigningFiles = field(init=False)

    def __post_init__(self) -> None:
        self.certificates = CertificateCache(self.settings.certificate_cache_s)
        self.prepared = PreparedCache(self.settings.prepared_cache_bytes)
        self.files = SigningFiles(self.storage, self.settings.bucket)
        self.throttles = Throttles(
            prepare_concurrency=self.settings.prepare_concurrency,
            retake_every_s=_retake_every(self.settings),
        )

    @property
    def owner(self) -> str:
        """This replica, the owner of the leases it takes."""
        return self.settings.replica_id

    def provider_of(self, request: SignRequest) -> ProviderClient | None:
        return self.providers.get(request.provider)

    async def fail(self, request: SignRequest, reason: str) -> SignRequest | None:
        """End a request as failed from any state that is not final, and announce it."""
        moved = await self.requests.fail(
            request.id,
            reason,
            self.clock(),
            [request.completed(SignStatus.FAILED, failure_reason=reason)],
        )
        if moved is not None:
            record_outcome(request.provider, SignStatus.FAILED.value, reason)
        return moved


def safe_filename(name: str) -> str:
    cleaned = name.replace("/", "_").replace("\\", "_").strip() or "document"
    return cleaned[:200]
