"""OpenTelemetry set-up: FastAPI and PyMongo instrumentation, OTLP export when configured."""

import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_provider: TracerProvider | None = None


def service_name(default: str) -> str:
    """OTEL_SERVICE_NAME when the deployment sets it, else the service's own name.

    An explicit attribute given to Resource.create would override the variable, so the
    variable is read here.
    """
    return os.environ.get("OTEL_SERVICE_NAME") or default


def tracer_provider(service: str, *extra_processors: SpanProcessor) -> TracerProvider:
    """One provider per process; the OTLP exporter is added only when an endpoint is set."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name(service)}))
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
        ):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(_provider)
        PymongoInstrumentor().instrument(tracer_provider=_provider)
    for processor in extra_processors:
        _provider.add_span_processor(processor)
    return _provider


def instrument_app(app: FastAPI, provider: TracerProvider) -> None:
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="health/live,health/ready"
    )
