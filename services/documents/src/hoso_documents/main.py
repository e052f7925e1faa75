"""App factory of the documents service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.platform import Platform
from hoso_documents.api.routes import router
from hoso_documents.cleanup import PeriodicCleanup
from hoso_documents.config import Settings
from hoso_documents.events import register_subscribers
from hoso_documents.repository import COLLECTION, DocumentRepository
from hoso_documents.vault import Vault


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("documents", settings)
    repository = DocumentRepository(platform.db, source=platform.source)
    vault = Vault(repository, platform.storage, settings)
    cleanup = PeriodicCleanup(vault, settings.cleanup_interval_s)
    register_subscribers(platform.broker, vault, group_id=settings.consumer_group)

    async def start() -> None:
        await repository.create_indexes()
        await cleanup.start()

    return create_service_app(
        platform,
        title="Hồ sơ điện tử — documents",
        description=(
            "The citizen's personal e-document vault: upload, versions, download, signing requests."
        ),
        routers=[router],
        buckets=[settings.bucket],
        outbox_collections=[COLLECTION],
        on_startup=[start],
        on_shutdown=[cleanup.stop],
    )
