"""App factory of the signing service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.platform import Platform
from hoso_signing.config import Settings


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("signing", settings)
    return create_service_app(
        platform,
        title="Ký số — signing",
        description="Remote digital signing through licensed CAs (PAdES / CAdES) and signature validation.",
        routers=[],
        buckets=[settings.bucket],
    )
