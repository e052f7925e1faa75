"""OpenTelemetry set-up: traces (OTLP and/or Zipkin when configured), HTTP metrics, `/metrics`."""

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Mapping

from fastapi import FastAPI, Request, Response
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hoso_common.errors import NotFound
from hoso_common.metrics import NO_METRICS, meter_provider, prometheus_text, record_http

_provider: TracerProvider | None = None


def service_name(default: str) -> str:
    """OTEL_SERVICE_NAME when the deployment sets it, else the service's own name.

    An explicit attribute given to Resource.create would override the variable, so the
    variable is read here.
    """
    return os.environ.get("OTEL_SERVICE_NAME") or default


def tracer_provider(service: str, *extra_processors: SpanProcessor) -> TracerProvider:
    """One provider per process; exporters are added only for the endpoints that are set.

    OTLP/HTTP with `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`, Zipkin's JSON API with
    `OTEL_EXPORTER_ZIPKIN_ENDPOINT` (the local stack's trace store). The meter provider is
    set up at the same time, so every process that traces also counts.
    """
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name(service)}))
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
        ):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        if os.environ.get("OTEL_EXPORTER_ZIPKIN_ENDPOINT"):
            from opentelemetry.exporter.zipkin.json import ZipkinExporter

            _provider.add_span_processor(BatchSpanProcessor(ZipkinExporter()))
        trace.set_tracer_provider(_provider)
        PymongoInstrumentor().instrument(tracer_provider=_provider)
        meter_provider(service)
    for processor in extra_processors:
        _provider.add_span_processor(processor)
    return _provider


def trace_headers() -> dict[str, str]:
    """The current trace context as W3C headers, to store with work that goes on later."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


@contextlib.contextmanager
def resumed_trace(
    headers: Mapping[str, str] | None, span_name: str | None = None
) -> Iterator[None]:
    """Go on with the trace stored in `headers` (see `trace_headers`), in a span if named.

    Work started later by a background loop (a status poll, a lease retaken) has no trace
    of its own; the events it writes then carry the trace of the request they belong to.
    Code already inside that trace (a callback whose CA echoed it) stays where it is.
    """
    stored = propagate.extract(dict(headers or {}))
    wanted = trace.get_current_span(stored).get_span_context()
    current = trace.get_current_span().get_span_context()
    if not wanted.is_valid or (current.is_valid and current.trace_id == wanted.trace_id):
        yield
        return
    token = otel_context.attach(stored)
    try:
        if span_name is None:
            yield
        else:
            with trace.get_tracer(__name__).start_as_current_span(span_name):
                yield
    finally:
        otel_context.detach(token)


class HttpMetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status.

    The route template (`/v1/documents/{document_id}`) is read after routing, from the
    scope the router filled in; a request that matched no route is labelled `unmatched`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            if template != "/metrics":
                record_http(scope["method"], template, status, time.perf_counter() - began)


class _NoScrapeLines(logging.Filter):
    """Drops the access-log line of each scrape: one every few seconds would bury the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        return '"GET /metrics ' not in record.getMessage()


def metrics_endpoint(app: FastAPI) -> None:
    """`GET /metrics`: the Prometheus exposition (kept out of the OpenAPI schema).

    The metrics server scrapes each process directly; a request that came through the
    gateway or an ingress (they set X-Forwarded-*) is answered 404, so the figures are not
    published to the internet.
    """

    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NoScrapeLines) for f in access_log.filters):
        access_log.addFilter(_NoScrapeLines())

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if "x-forwarded-for" in request.headers or "x-forwarded-prefix" in request.headers:
            raise NotFound()
        body, content_type = prometheus_text()
        return Response(body, media_type=content_type)


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        meter_provider=NO_METRICS,
        excluded_urls="health/live,health/ready,metrics",
    )
    app.add_middleware(HttpMetricsMiddleware)
    metrics_endpoint(app)
