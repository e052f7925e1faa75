"""Everything one signing replica holds: clients, engines, the workflow and its background loops."""

from __future__ import annotations

import logging

import httpx

from hoso_common.periodic import PeriodicTask
from hoso_common.platform import Platform
from hoso_signing.config import Settings
from hoso_signing.crypto.pades import PadesEngine
from hoso_signing.crypto.pki import FetchAllowList, HttpxTimeStamper, RevocationCache, TrustStore
from hoso_signing.crypto.validation import SignatureValidator
from hoso_signing.metrics import MeteredProvider
from hoso_signing.providers import ProviderClient
from hoso_signing.providers.fpt import FptESignClient, RelyingParty
from hoso_signing.providers.viettel import ViettelMySignClient
from hoso_signing.providers.vnpt import VnptSmartCAClient
from hoso_signing.repository import SignRequestRepository
from hoso_signing.workflow import SigningWorkflow

logger = logging.getLogger(__name__)


class SigningRuntime:
    def __init__(self, platform: Platform, settings: Settings) -> None:
        self.platform = platform
        self.settings = settings
        self.http = httpx.AsyncClient(
            timeout=settings.provider_timeout_s,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )
        clients: dict[str, ProviderClient] = {
            "vnpt-smartca": VnptSmartCAClient(
                settings.vnpt_base_url,
                settings.vnpt_sp_id,
                settings.vnpt_sp_password.get_secret_value(),
                client=self.http,
            ),
            "viettel-mysign": ViettelMySignClient(
                settings.viettel_base_url,
                settings.viettel_client_id,
                settings.viettel_client_secret.get_secret_value(),
                client=self.http,
            ),
            "fpt-esign": FptESignClient(
                settings.fpt_base_url,
                RelyingParty(
                    name=settings.fpt_relying_party,
                    user=settings.fpt_relying_party_user,
                    password=settings.fpt_relying_party_password.get_secret_value(),
                    signature=settings.fpt_relying_party_signature.get_secret_value(),
                    private_key_pem=settings.fpt_relying_party_key.get_secret_value(),
                ),
                authorize_method=settings.fpt_authorize_method,
                client=self.http,
            ),
        }
        self.providers: dict[str, ProviderClient] = {
            name: MeteredProvider(client) for name, client in clients.items()
        }
        self.trust = TrustStore(settings.trust_root_sources())
        self.timestamper = HttpxTimeStamper(settings.tsa_url, self.http)
        self.fetch_allow_list = FetchAllowList(settings.fetch_allowed_sources())
        self.revocation = RevocationCache(settings.revocation_cache_s, self.fetch_allow_list)
        self.pades = PadesEngine.from_settings(
            settings, trust=self.trust, timestamper=self.timestamper, revocation=self.revocation
        )
        self.repository = SignRequestRepository(
            platform.db, source=settings.event_source or platform.source
        )
        self.validator = SignatureValidator(self.trust, allowed=self.fetch_allow_list)
        self.workflow = SigningWorkflow(
            settings=settings,
            repository=self.repository,
            storage=platform.storage,
            providers=self.providers,
            pades=self.pades,
            timestamper=self.timestamper,
            # Every written request with events goes to the outbox relay at once.
            announce=lambda doc: platform.outbox.written(self.repository.collection, doc),
        )
        self._tasks: list[PeriodicTask] = []

    async def start(self) -> None:
        await self.repository.ensure_indexes()
        self._tasks = [
            PeriodicTask(
                "signing-poller", self.workflow.poll_due, self.settings.poll_interval_s / 2
            ),
            PeriodicTask("signing-sweep", self.workflow.sweep, self.settings.sweep_interval_s),
        ]
        for task in self._tasks:
            task.start()

    async def stop(self) -> None:
        for task in self._tasks:
            await task.stop()
        await self.revocation.aclose()
        await self.http.aclose()
