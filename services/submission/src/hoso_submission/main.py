"""App factory of the submission service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.platform import Platform
from hoso_submission.config import Settings


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("submission", settings)
    return create_service_app(
        platform,
        title="Nộp hồ sơ — submission",
        description="Procedure catalogue, dossiers, submission with receipt codes, and officers' processing.",
        routers=[],
        buckets=[settings.bucket],
    )
