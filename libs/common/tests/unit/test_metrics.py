"""Metrics keep their label sets bounded: no id, file name or raw path ever becomes a label."""

import re
import uuid

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from hoso_common.metrics import (
    MAX_VALUES_PER_LABEL,
    OTHER,
    Sampler,
    label,
    looks_like_id,
    meter_provider,
    prometheus_text,
    record_dead_letter,
    record_kafka,
)
from hoso_common.telemetry import HttpMetricsMiddleware, metrics_endpoint

# Placeholders of route templates are the one place braces appear.
TEMPLATE = re.compile(r"^(/[A-Za-z0-9_.\-]*|/\{[a-z_]+\})+$|^unmatched$")


def hoso_series() -> dict[str, set[tuple[tuple[str, str], ...]]]:
    body, _ = prometheus_text()
    series: dict[str, set[tuple[tuple[str, str], ...]]] = {}
    for family in text_string_to_metric_families(body.decode()):
        if not family.name.startswith("hoso_"):
            continue
        for sample in family.samples:
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
            series.setdefault(family.name, set()).add(labels)
    return series


def test_label_turns_ids_and_file_names_into_other() -> None:
    for value in [
        "079203001234",  # a citizen id
        str(uuid.uuid4()),
        uuid.uuid4().hex,
        "giay-khai-sinh.pdf",
        "citizen/42",
        "a" * 80,
    ]:
        assert looks_like_id(value), value
        assert label("reason", value) == OTHER
    for value in ["source_missing", "provider_500", "vnpt-smartca", "completed"]:
        assert label("reason", value) == value


def test_a_label_keeps_at_most_its_bound_of_values() -> None:
    values = {
        label("bounded_test", f"reason_{chr(97 + i % 26)}{chr(97 + i // 26)}") for i in range(500)
    }
    assert len(values) == MAX_VALUES_PER_LABEL + 1  # the first ones, and `other`
    assert OTHER in values


async def test_many_distinct_ids_leave_the_series_count_bounded() -> None:
    meter_provider("metrics-unit-test")
    app = FastAPI()

    @app.get("/v1/documents/{document_id}")
    async def get_document(document_id: str) -> dict[str, str]:
        return {"id": document_id}

    @app.post("/v1/citizens/{citizen_id}/files/{name}")
    async def put_file(citizen_id: str, name: str) -> dict[str, str]:
        return {"name": name}

    app.add_middleware(HttpMetricsMiddleware)
    metrics_endpoint(app)
    ids: list[str] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        before = hoso_series()
        for i in range(300):
            document_id, citizen_id = str(uuid.uuid4()), f"0792030{i:05d}"
            ids += [document_id, citizen_id]
            assert (await client.get(f"/v1/documents/{document_id}")).status_code == 200
            await client.post(f"/v1/citizens/{citizen_id}/files/ho-so-{i}.pdf")
            await client.get(f"/no/such/path/{document_id}")
            record_kafka("hoso.documents.uploaded", i % 7 != 0, 0.001)
            record_dead_letter("hoso.signing.requested")
        metrics_page = await client.get("/metrics")
    assert metrics_page.status_code == 200
    series = hoso_series()

    http = series["hoso_http_server_duration_seconds"] - before.get(
        "hoso_http_server_duration_seconds", set()
    )
    routes = {dict(labels)["route"] for labels in http}
    # 900 requests with 600 distinct ids: three route templates, one series per status.
    assert routes == {
        "/v1/documents/{document_id}",
        "/v1/citizens/{citizen_id}/files/{name}",
        "unmatched",
    }
    assert len(http) <= 3 * 2 * 2  # routes x (series kinds) x status codes seen
    total = sum(len(labels) for labels in series.values())
    assert total < 200, total
    for name, label_sets in series.items():
        for labels in label_sets:
            for key, value in labels:
                assert not any(i in value for i in ids), (name, key, value)
                if key == "route":
                    assert TEMPLATE.match(value), value
                elif key not in ("topic", "otel_scope_name", "otel_scope_version"):
                    assert not looks_like_id(value), (name, key, value)


async def test_sampled_gauges_report_their_last_sample() -> None:
    meter_provider("metrics-unit-test")
    sampler = Sampler(interval_s=60)
    calls = 0

    async def backlog() -> list[tuple[dict[str, str], float]]:
        nonlocal calls
        calls += 1
        return [({"collection": "unit_sampled"}, 7.0)]

    sampler.gauge("hoso.unit.sampled", backlog)
    await sampler.sample_once()
    body = prometheus_text()[0].decode()
    assert 'hoso_unit_sampled{collection="unit_sampled"' in body
    assert calls == 1  # a scrape reads the sample, it does not query
