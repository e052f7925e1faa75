"""App factory of the signing service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.platform import Platform
from hoso_signing.api.routes import router
from hoso_signing.config import Settings
from hoso_signing.events import register_subscribers
from hoso_signing.metrics import register_gauges
from hoso_signing.repository import COLLECTION
from hoso_signing.runtime import SigningRuntime


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("signing", settings, outbox_collections=[COLLECTION])
    runtime = SigningRuntime(platform, settings)
    register_subscribers(
        platform.broker,
        runtime.workflow,
        requests_group=settings.requests_group,
        finisher_group=settings.finisher_group,
        workers=settings.finish_concurrency,
        source=settings.event_source or platform.source,
    )
    return create_service_app(
        platform,
        title="Ký số — signing",
        description=(
            "Remote digital signing through licensed CAs (PAdES / CAdES) and signature validation."
        ),
        use_cases=[runtime],
        routers=[router],
        buckets=[settings.bucket],
        on_startup=[runtime.start],
        on_shutdown=[runtime.stop],
        gauges=[register_gauges(runtime.repository)],
    )
