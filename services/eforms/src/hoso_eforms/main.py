"""App factory of the eforms service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.platform import Platform
from hoso_eforms.config import Settings


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("eforms", settings)
    return create_service_app(
        platform,
        title="Biểu mẫu điện tử — eforms",
        description="E-form templates per procedure, filled instances, PDF rendering and signing.",
        routers=[],
        buckets=[settings.bucket],
    )
