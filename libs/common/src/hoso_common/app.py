"""Builds a service's ASGI app: FastAPI + FastStream, health, errors, telemetry, metrics, outbox.

Every service is wired the same way: `main.py` calls `Platform.create` (broker, database,
storage and the outbox relay), builds its use-case objects once with them, and hands them to
`create_service_app`, which keeps them on `app.state.use_cases`; the routes reach them through
the `Annotated` dependencies of the service's `api/deps.py`, built with `use_case_dependency`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from faststream_fastapi import AsyncAPIConfig, FastStreamAPI

from hoso_common import topics
from hoso_common.broker import ensure_topics
from hoso_common.broker_metrics import register_consumer_lag
from hoso_common.errors import ServiceUnavailable, install_error_handlers
from hoso_common.health import Check, DependencyMissing, health_router
from hoso_common.log import configure_logging
from hoso_common.metrics import Sampler
from hoso_common.mongo import ping
from hoso_common.openapi import document_problems
from hoso_common.outbox import register_outbox_gauges
from hoso_common.platform import Platform
from hoso_common.redirects import RelativeRedirectMiddleware
from hoso_common.settings import KafkaSettings
from hoso_common.telemetry import instrument_app

Hook = Callable[[], Awaitable[None]]
Gauges = Callable[[Sampler], None]
UseCases = TypeVar("UseCases")


def use_case_dependency(kind: type[UseCases]) -> Callable[[Request], UseCases]:
    """A FastAPI dependency returning the use-case object of type `kind` given to the app."""

    def dependency(request: Request) -> UseCases:
        for use_case in request.app.state.use_cases:
            if isinstance(use_case, kind):
                return use_case
        raise AssertionError(f"create_service_app was given no {kind.__name__}")

    return dependency


class TopicsCheck:
    """Readiness of the topics: all of them exist (topics are not created by services).

    Kafka is asked until every topic has been seen once; topics are not deleted under a
    running platform, so later probes cost nothing.
    """

    def __init__(self, settings: KafkaSettings, names: Sequence[str] = topics.ALL_TOPICS) -> None:
        self.settings = settings
        self.names = names
        self.seen_all = False

    async def __call__(self) -> None:
        if self.seen_all:
            return
        absent = await topics.missing(self.settings, self.names)
        if absent:
            raise DependencyMissing("missing topics: " + ", ".join(absent))
        self.seen_all = True


async def _check_broker(broker: KafkaBroker) -> None:
    if not await broker.ping(timeout=2.0):
        raise ServiceUnavailable("kafka")


def create_service_app(
    platform: Platform,
    *,
    title: str,
    description: str,
    use_cases: Sequence[object],
    routers: Sequence[APIRouter],
    buckets: Sequence[str] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    gauges: Sequence[Gauges] = (),
    version: str = "0.1.0",
) -> FastStreamAPI:
    settings = platform.settings
    configure_logging(platform.name, settings.log_level)
    relay = platform.outbox
    # Gauges that need a query are sampled in the background; `gauges` adds the service's own.
    sampler = Sampler()
    register_outbox_gauges(sampler, relay)
    register_consumer_lag(sampler, platform.broker)
    for register in gauges:
        register(sampler)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # Only the local stack creates topics here; elsewhere the topics Job owns them and
        # readiness reports a missing one.
        if settings.kafka_create_topics:
            await ensure_topics(settings)
        if buckets:
            await platform.storage.ensure_buckets(*buckets)
        for hook in on_startup:
            await hook()
        sampler.start()
        try:
            yield {}
        finally:
            await sampler.stop()
            await relay.stop()
            for hook in on_shutdown:
                await hook()
            # Frees storage threads still waiting on a client's body, so the process can exit
            # within its grace period instead of joining them.
            platform.storage.close()
            await platform.mongo.close()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        root_path=f"/api/{platform.name}",
    )
    app.state.platform = platform
    app.state.use_cases = tuple(use_cases)
    app.state.token_verifier = platform.verifier
    app.state.outbox_relay = relay
    app.state.metrics_sampler = sampler
    install_error_handlers(app)
    app.add_middleware(RelativeRedirectMiddleware)
    document_problems(app)
    checks: dict[str, Check] = {
        "kafka": lambda: _check_broker(platform.broker),
        "topics": TopicsCheck(settings),
        "database": lambda: ping(platform.mongo),
    }
    if buckets:
        # a service that keeps no files is not made unready by the object store
        checks["object_store"] = lambda: platform.storage.ping(buckets[0])
    app.include_router(health_router(checks))
    for router in routers:
        app.include_router(router)
    instrument_app(app, platform.tracer_provider)

    async def connect(broker: KafkaBroker) -> None:
        await broker.start()
        # The relay publishes through the broker, so it starts only once the broker is up.
        relay.start()

    return FastStreamAPI(
        platform.broker,
        application=app,
        specification=AsyncAPI(title=title, version=version, description=description),
        asyncapi_path=AsyncAPIConfig("/asyncapi", include_in_schema=False),
        safe_connection=True,
        connection_hook=connect,
    )
