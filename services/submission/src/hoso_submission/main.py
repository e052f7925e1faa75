"""App factory of the submission service."""

from __future__ import annotations

import httpx
from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.broker import publish_envelope
from hoso_common.events import SignStatusQueried, new_envelope
from hoso_common.platform import Platform
from hoso_common.reconciler import SignReconciler, reconciler_router
from hoso_submission.api.routes import router
from hoso_submission.clients import DocumentsClient, EformsClient, SigningClient
from hoso_submission.config import Settings
from hoso_submission.domain.calendar import WorkingCalendar, load_holidays
from hoso_submission.domain.procedures import SEED_PROCEDURES
from hoso_submission.events import register_statistics, register_subscribers
from hoso_submission.metrics import register_gauges
from hoso_submission.repository import (
    DOSSIERS,
    DossierRepository,
    ProcedureRepository,
    ReceiptCounterRepository,
    StatisticsRepository,
)
from hoso_submission.service import DossierService
from hoso_submission.statistics import StatisticsService
from hoso_submission.storage import AttachmentStore


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("submission", settings, outbox_collections=[DOSSIERS])
    http = httpx.AsyncClient(timeout=settings.upstream_timeout_s)
    dossiers = DossierRepository(platform.db, source=platform.source)
    procedures = ProcedureRepository(platform.db)
    statistics_repository = StatisticsRepository(platform.db)
    statistics = StatisticsService(statistics_repository, procedures)
    register_statistics(platform.broker, statistics, group_id=settings.statistics_group)

    async def prepare_database() -> None:
        await dossiers.ensure_indexes()
        await procedures.ensure_indexes()
        await statistics_repository.ensure_indexes()
        if settings.seed_catalogue:
            await procedures.seed(SEED_PROCEDURES)

    async def ask(query: SignStatusQueried) -> None:
        await publish_envelope(platform.broker, new_envelope(query, source=platform.source))

    # A result whose SignCompleted was lost would wait for ever: signing is asked again.
    reconciler = SignReconciler(
        source="submission",
        find_waiting=dossiers.waiting_on_signing,
        ask=ask,
        wait_s=settings.signing_approval_lifetime_s + settings.reconcile_margin_s,
        interval_s=settings.reconcile_interval_s,
    )

    async def start_reconciler() -> None:
        reconciler.start()

    async def close_http() -> None:
        await http.aclose()

    service = DossierService(
        dossiers=dossiers,
        procedures=procedures,
        counters=ReceiptCounterRepository(platform.db),
        attachments=AttachmentStore(platform.storage, settings.bucket),
        vault=DocumentsClient(http, settings.documents_url),
        eforms=EformsClient(http, settings.eforms_url),
        validator=SigningClient(
            http,
            settings.signing_url,
            capability_secret=settings.object_capability_secret.get_secret_value(),
            capability_ttl_s=settings.object_capability_ttl_s,
        ),
        nudge=platform.outbox.nudge,
        result_max_bytes=settings.result_max_bytes,
        calendar=WorkingCalendar(load_holidays(settings.holidays_file)),
    )
    # Subscribers are registered before the app is made, which wires the broker into it.
    register_subscribers(
        platform.broker,
        service,
        group_id=settings.consumer_group,
        reconciler=reconciler,
    )
    return create_service_app(
        platform,
        title="Nộp hồ sơ — submission",
        description=(
            "Procedure catalogue, dossiers, submission with receipt codes, "
            "and officers' processing."
        ),
        use_cases=[service, statistics],
        routers=[router, reconciler_router(reconciler)],
        buckets=[settings.bucket],
        on_startup=[prepare_database, start_reconciler],
        on_shutdown=[reconciler.stop, close_http],
        gauges=[register_gauges(dossiers, procedures)],
    )
