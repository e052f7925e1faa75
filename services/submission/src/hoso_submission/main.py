"""App factory of the submission service."""

from __future__ import annotations

import httpx
from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.platform import Platform
from hoso_submission.api.routes import router
from hoso_submission.clients import DocumentsClient, EformsClient, SigningClient
from hoso_submission.config import Settings
from hoso_submission.domain.procedures import SEED_PROCEDURES
from hoso_submission.metrics import register_gauges
from hoso_submission.repository import (
    DOSSIERS,
    DossierRepository,
    ProcedureRepository,
    ReceiptCounterRepository,
)
from hoso_submission.service import DossierService
from hoso_submission.storage import AttachmentStore


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("submission", settings, outbox_collections=[DOSSIERS])
    http = httpx.AsyncClient(timeout=settings.upstream_timeout_s)
    dossiers = DossierRepository(platform.db, source=platform.source)
    procedures = ProcedureRepository(platform.db)

    async def prepare_database() -> None:
        await dossiers.ensure_indexes()
        await procedures.ensure_indexes()
        if settings.seed_catalogue:
            await procedures.seed(SEED_PROCEDURES)

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
    )
    return create_service_app(
        platform,
        title="Nộp hồ sơ — submission",
        description=(
            "Procedure catalogue, dossiers, submission with receipt codes, "
            "and officers' processing."
        ),
        service=service,
        routers=[router],
        buckets=[settings.bucket],
        on_startup=[prepare_database],
        on_shutdown=[close_http],
        gauges=[register_gauges(dossiers, procedures)],
    )
