"""App factory of the documents service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.platform import Platform
from hoso_documents.config import Settings


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("documents", settings)
    return create_service_app(
        platform,
        title="Hồ sơ điện tử — documents",
        description="The citizen's personal e-document vault: upload, versions, download, signing requests.",
        routers=[],
        buckets=[settings.bucket],
    )
