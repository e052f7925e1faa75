"""App factory of the signing service: builds the adapters and the one `SigningService`."""

from __future__ import annotations

import httpx
from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.periodic import PeriodicTask
from hoso_common.platform import Platform
from hoso_signing.api.routes import router
from hoso_signing.config import Settings
from hoso_signing.crypto.pades import PadesEngine
from hoso_signing.crypto.pki import FetchAllowList, HttpxTimeStamper, RevocationCache, TrustStore
from hoso_signing.crypto.validation import SignatureValidator
from hoso_signing.events import register_subscribers
from hoso_signing.metrics import MeteredProvider, register_gauges
from hoso_signing.providers import ProviderClient
from hoso_signing.providers.fpt import FptESignClient, RelyingParty
from hoso_signing.providers.viettel import ViettelMySignClient
from hoso_signing.providers.vnpt import VnptSmartCAClient
from hoso_signing.repository import COLLECTION, SignRequestRepository
from hoso_signing.service import SigningService
from hoso_signing.usecases.context import SigningContext


def provider_clients(settings: Settings, http: httpx.AsyncClient) -> dict[str, ProviderClient]:
    """One client per CA, each call timed and counted."""
    clients: dict[str, ProviderClient] = {
        "vnpt-smartca": VnptSmartCAClient(
            settings.vnpt_base_url,
            settings.vnpt_sp_id,
            settings.vnpt_sp_password.get_secret_value(),
            client=http,
        ),
        "viettel-mysign": ViettelMySignClient(
            settings.viettel_base_url,
            settings.viettel_client_id,
            settings.viettel_client_secret.get_secret_value(),
            client=http,
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
            client=http,
        ),
    }
    return {name: MeteredProvider(client) for name, client in clients.items()}


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("signing", settings, outbox_collections=[COLLECTION])
    source = settings.event_source or platform.source
    http = httpx.AsyncClient(
        timeout=settings.provider_timeout_s,
        limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
    )
    trust = TrustStore(settings.trust_root_sources())
    timestamper = HttpxTimeStamper(settings.tsa_url, http)
    fetch_allow_list = FetchAllowList(settings.fetch_allowed_sources())
    revocation = RevocationCache(settings.revocation_cache_s, fetch_allow_list)
    repository = SignRequestRepository(platform.db, source=source, relay=platform.outbox)
    service = SigningService(
        SigningContext(
            settings=settings,
            requests=repository,
            storage=platform.storage,
            providers=provider_clients(settings, http),
            pades=PadesEngine.from_settings(
                settings, trust=trust, timestamper=timestamper, revocation=revocation
            ),
            timestamper=timestamper,
        ),
        SignatureValidator(trust, allowed=fetch_allow_list),
    )
    register_subscribers(
        platform.broker,
        service,
        requests_group=settings.requests_group,
        finisher_group=settings.finisher_group,
        workers=settings.finish_concurrency,
        source=source,
    )
    tasks = [
        PeriodicTask("signing-poller", service.answers.poll_due, settings.poll_interval_s / 2),
        PeriodicTask("signing-sweep", service.background.sweep, settings.sweep_interval_s),
    ]

    async def start() -> None:
        await repository.ensure_indexes()
        for task in tasks:
            task.start()

    async def stop() -> None:
        for task in tasks:
            await task.stop()
        await revocation.aclose()
        await http.aclose()

    return create_service_app(
        platform,
        title="Ký số — signing",
        description=(
            "Remote digital signing through licensed CAs (PAdES / CAdES) and signature validation."
        ),
        use_cases=[service],
        routers=[router],
        buckets=[settings.bucket],
        on_startup=[start],
        on_shutdown=[stop],
        gauges=[register_gauges(repository)],
    )
