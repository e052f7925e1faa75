"""App factory of the documents service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.broker import publish_envelope
from hoso_common.events import SignStatusQueried, new_envelope
from hoso_common.periodic import PeriodicTask
from hoso_common.platform import Platform
from hoso_common.reconciler import SignReconciler, reconciler_router
from hoso_documents.api.routes import router
from hoso_documents.config import Settings
from hoso_documents.events import register_subscribers
from hoso_documents.repository import COLLECTION, DocumentRepository
from hoso_documents.service import Vault


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("documents", settings, outbox_collections=[COLLECTION])
    repository = DocumentRepository(platform.db, source=platform.source)
    vault = Vault(repository, platform.storage, settings, nudge=platform.outbox.nudge)
    # Expired drafts and orphaned uploads are removed by this pass (FerretDB has no TTL indexes).
    cleanup = PeriodicTask("documents-cleanup", vault.clean_up, settings.cleanup_interval_s)

    async def ask(query: SignStatusQueried) -> None:
        await publish_envelope(platform.broker, new_envelope(query, source=platform.source))

    reconciler = SignReconciler(
        source="documents",
        find_waiting=repository.waiting_on_signing,
        ask=ask,
        wait_s=settings.signing_approval_lifetime_s + settings.reconcile_margin_s,
        interval_s=settings.reconcile_interval_s,
    )
    register_subscribers(
        platform.broker, vault, group_id=settings.consumer_group, reconciler=reconciler
    )

    async def start() -> None:
        await repository.create_indexes()
        cleanup.start()
        reconciler.start()

    async def stop() -> None:
        await reconciler.stop()
        await cleanup.stop()

    return create_service_app(
        platform,
        title="Hồ sơ điện tử — documents",
        description=(
            "The citizen's personal e-document vault: upload, versions, download, signing requests."
        ),
        use_cases=[vault],
        routers=[router, reconciler_router(reconciler)],
        buckets=[settings.bucket],
        on_startup=[start],
        on_shutdown=[stop],
    )
