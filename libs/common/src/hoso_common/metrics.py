"""Metrics: the OpenTelemetry meter provider, `/metrics` for Prometheus, and shared instruments.

Every instrument records through `label()`, which keeps label values low-cardinality: a value
that looks like an identifier (digits, UUIDs, hashes, file names) becomes `other`, and each
label keeps at most `MAX_VALUES_PER_LABEL` distinct values, later ones becoming `other` too.
Route templates, topics, states and reason codes fit; a citizen id or a document id never
reaches a label.

Gauges that need a database query (backlogs, requests by state) are sampled by `Sampler` in
the background every `HOSO_METRICS_SAMPLE_INTERVAL_S` seconds; a scrape reads the last
sample and costs no query.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, NoOpMeterProvider, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import SERVICE_NAME, Resource

from hoso_common.background import cancel_and_wait

logger = logging.getLogger(__name__)

METER_NAME = "hoso"
# Our own instruments cover HTTP and Kafka with bounded labels; the instrumentation
# libraries get this provider, so that nothing else labels by raw path.
NO_METRICS = NoOpMeterProvider()
MAX_VALUES_PER_LABEL = 64
OTHER = "other"

# Seconds; from a fast HTTP answer to a slow signature finish.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds from the citizen's approval to the signed document.
APPROVAL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

# What an identifier looks like: a long run of digits (citizen ids, timestamps), a UUID or
# hex digest, a file name with an extension, or anything long or with path separators.
_ID_LIKE = re.compile(
    r"\d{5,}|[0-9a-f]{8}-?[0-9a-f]{4}|[0-9a-f]{16,}|\.[A-Za-z0-9]{2,5}$|[/\\@ ]", re.IGNORECASE
)
_MAX_LABEL_LENGTH = 64

_seen: dict[str, set[str]] = {}
_seen_lock = threading.Lock()


def looks_like_id(value: str) -> bool:
    return len(value) > _MAX_LABEL_LENGTH or bool(_ID_LIKE.search(value))


def _bounded(name: str, text: str) -> str:
    with _seen_lock:
        values = _seen.setdefault(name, set())
        if text in values:
            return text
        if len(values) >= MAX_VALUES_PER_LABEL:
            return OTHER
        values.add(text)
        return text


def label(name: str, value: object) -> str:
    """`value` as a value of the label `name`, or `other` when it would raise cardinality."""
    text = "" if value is None else str(value)
    if not text:
        return "none"
    if looks_like_id(text):
        return OTHER
    return _bounded(name, text)


def code_label(name: str, value: str) -> str:
    """A value the code itself defines (a route template, a topic name): only capped.

    Route templates hold `{placeholders}` and topics hold dots, which the id check would
    take for file names; neither ever carries request data.
    """
    return _bounded(name, value) if value else "none"


_provider: MeterProvider | None = None


def metrics_enabled() -> bool:
    """`HOSO_METRICS=off` leaves the no-op meter in place (to measure what metrics cost)."""
    return os.environ.get("HOSO_METRICS", "on").strip().lower() not in {"off", "false", "0"}


def meter_provider(service: str) -> MeterProvider | None:
    """One provider per process: a Prometheus reader always, OTLP when an endpoint is set."""
    global _provider
    if _provider is not None or not metrics_enabled():
        return _provider
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    readers: list[MetricReader] = [PrometheusMetricReader()]
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    views = [
        View(
            instrument_name="hoso.signing.approval_to_signed.duration",
            aggregation=ExplicitBucketHistogramAggregation(APPROVAL_BUCKETS),
        ),
        View(
            instrument_name="hoso.*duration",
            aggregation=ExplicitBucketHistogramAggregation(LATENCY_BUCKETS),
        ),
    ]
    _provider = MeterProvider(
        metric_readers=readers,
        resource=Resource.create({SERVICE_NAME: service}),
        views=views,
    )
    metrics.set_meter_provider(_provider)
    return _provider


def meter() -> metrics.Meter:
    """The platform's meter; instruments made before the provider is set still report."""
    return metrics.get_meter(METER_NAME)


def prometheus_text() -> tuple[bytes, str]:
    """The Prometheus exposition of this process's metrics, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# --------------------------------------------------------------------------- shared instruments

_meter = meter()


def durations(name: str, description: str) -> metrics.Histogram:
    """A histogram of seconds; the views of `meter_provider` pick its buckets by its name."""
    return _meter.create_histogram(name, unit="s", description=description)


def counter(name: str, unit: str, description: str) -> metrics.Counter:
    """A count of `unit` (UCUM, e.g. `{message}`), only ever added to."""
    return _meter.create_counter(name, unit=unit, description=description)


HTTP_DURATION = durations(
    "hoso.http.server.duration",
    "HTTP requests served, by method, route template and status code.",
)
KAFKA_HANDLER_DURATION = durations(
    "hoso.kafka.handler.duration",
    "Kafka messages handled, by topic and outcome (ok or failed).",
)
DEAD_LETTERS = counter(
    "hoso.kafka.dead_letters",
    "{message}",
    "Messages written to a dead-letter topic, by original topic.",
)


def record_http(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_DURATION.record(
        seconds,
        {
            "method": label("method", method),
            "route": code_label("route", route),
            "status_code": str(status),
        },
    )


def record_kafka(topic: str, ok: bool, seconds: float) -> None:
    KAFKA_HANDLER_DURATION.record(
        seconds, {"topic": code_label("topic", topic), "outcome": "ok" if ok else "failed"}
    )


def record_dead_letter(topic: str) -> None:
    DEAD_LETTERS.add(1, {"topic": code_label("topic", topic)})


# --------------------------------------------------------------------------- sampled gauges

Sample = list[tuple[dict[str, str], float]]
SampleFn = Callable[[], Awaitable[Sample]]


class Sampler:
    """Observable gauges whose values come from async queries run in the background.

    `gauge(name, fn)` registers an observable gauge; `start()` runs every `fn` once per
    interval and keeps its last result, which each collection reports. A query that fails
    keeps the previous sample and logs, so one slow database pass never breaks a scrape.
    """

    def __init__(self, interval_s: float | None = None) -> None:
        self.interval_s = interval_s or float(
            os.environ.get("HOSO_METRICS_SAMPLE_INTERVAL_S", "15")
        )
        self._fns: list[tuple[str, SampleFn]] = []
        self._values: dict[str, Sample] = {}
        self._task: asyncio.Task[None] | None = None

    def gauge(self, name: str, fn: SampleFn, *, unit: str = "", description: str = "") -> None:
        self._fns.append((name, fn))
        self._values.setdefault(name, [])
        _observe(name, self, unit, description)

    def observations(self, name: str) -> Sample:
        return list(self._values.get(name, []))

    async def sample_once(self) -> None:
        for name, fn in self._fns:
            try:
                self._values[name] = [
                    ({key: code_label(key, str(value)) for key, value in attrs.items()}, value)
                    for attrs, value in await fn()
                ]
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("metric sample failed", extra={"metric": name}, exc_info=True)

    def start(self) -> None:
        if self._fns and self._task is None and metrics_enabled():
            self._task = asyncio.create_task(self._run(), name="metrics-sampler")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            began = time.monotonic()
            await self.sample_once()
            await asyncio.sleep(max(self.interval_s - (time.monotonic() - began), 1.0))


_gauge_samplers: dict[str, weakref.WeakSet[Sampler]] = {}


def _observe(name: str, sampler: Sampler, unit: str, description: str) -> None:
    """One observable gauge per name, reporting what every live sampler holds for it.

    A process runs one app, so one sampler; tests build several, and an instrument can be
    created only once per name.
    """
    samplers = _gauge_samplers.get(name)
    if samplers is None:
        samplers = _gauge_samplers[name] = weakref.WeakSet()

        def observe(_options: CallbackOptions) -> Iterable[Observation]:
            return [
                Observation(value, attrs)
                for owner in list(samplers)
                for attrs, value in owner.observations(name)
            ]

        meter().create_observable_gauge(name, [observe], unit=unit, description=description)
    samplers.add(sampler)


def seconds_since(moment: Any, now: float | None = None) -> float:
    """Age in seconds of a datetime (naive ones are UTC, as PyMongo returns them)."""
    if not isinstance(moment, datetime):
        return 0.0
    at: datetime = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    reference = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
    return max((reference - at).total_seconds(), 0.0)
