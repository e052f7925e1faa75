"""What an operator sees of a flow-1 signing: counters on /metrics, the metrics server's
copy of them, and one trace from the upload to the signed version in the trace store."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hoso_common.testing.identity import TestUser

from . import api_client as portal
from .conftest import sample_pdf

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"
METRICS_URL = f"http://{HOST}:{os.environ.get('HOSO_METRICS_PORT', '8428')}"
ZIPKIN_URL = f"http://{HOST}:{os.environ.get('HOSO_ZIPKIN_PORT', '9411')}"
SIGNING_PORTS = [8130 + i for i in range(int(os.environ.get("SIGNING_REPLICAS", "2")))]
DOCUMENTS_PORT = 8101
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"


async def scrape(port: int) -> dict[str, float]:
    """`name{labels}` -> value of every hoso_* sample one process exports."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"http://{HOST}:{port}/metrics")
    assert response.status_code == 200
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name.startswith("hoso_"):
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def total(samples: dict[str, float], name: str, **labels: str) -> float:
    wanted = [f"{k}={v}" for k, v in labels.items()]
    return sum(
        value
        for key, value in samples.items()
        if key.startswith(name + "{") and all(w in key for w in wanted)
    )


async def signing_total(name: str, **labels: str) -> float:
    return sum([total(await scrape(port), name, **labels) for port in SIGNING_PORTS])


async def query(client: httpx.AsyncClient, promql: str) -> float:
    response = await client.get(f"{METRICS_URL}/api/v1/query", params={"query": promql})
    assert response.status_code == 200, response.text
    result = response.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


# The journey of one document, span by span. The approval reaches signing by the CA's
# callback (VNPT-CA pushes it) or by signing's status poll (Viettel-CA, or VNPT-CA when its
# callback is late); either way it goes on in the document's trace.
UPLOAD_TO_SIGNING = {
    ("documents", "post /v1/documents"),
    ("documents", "hoso.documents.uploaded publish"),
    ("documents", "hoso.signing.requested publish"),
    ("signing", "hoso.signing.requested process"),
}
APPROVAL_LEGS = {
    ("signing", "post /v1/callbacks/{provider}"),
    ("signing", "signing status poll"),
}
FINISH_TO_DOCUMENTS = {
    ("signing", "hoso.signing.approved process"),
    ("signing", "hoso.signing.completed publish"),
    ("documents", "hoso.signing.completed process"),
}


async def sign_one_document(
    gateway: httpx.AsyncClient,
    ca: httpx.AsyncClient,
    citizen: TestUser,
    trace_id: str,
    provider: str = "vnpt-smartca",
) -> dict[str, Any]:
    """Flow 1, with the upload started in a trace the test chose."""
    name = f"Giấy tờ truy vết {uuid.uuid4().hex[:6]}"
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    response = await gateway.post(
        f"{portal.DOCUMENTS}/documents",
        data={"name": name, "sign": "true", "provider": provider},
        files={"file": ("truy-vet.pdf", sample_pdf("Truy vet"), "application/pdf")},
        headers={**citizen.headers, "traceparent": traceparent},
    )
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    notification = await portal.wait_for_phone_request(ca, citizen, name)
    await portal.approve_on_phone(ca, citizen, notification["transaction_id"])
    signed = await portal.wait_for_document(
        gateway, citizen, document["id"], {"signed", "sign_failed"}
    )
    assert signed["status"] == "signed", signed.get("failure")
    return document


def legs(spans: list[Any]) -> set[tuple[str, str]]:
    """(service, span name) of every span of a trace."""
    return {
        (str((s.get("localEndpoint") or {}).get("serviceName", "")), str(s.get("name", "")))
        for s in spans
    }


def journey_complete(found: set[tuple[str, str]]) -> bool:
    return (
        found >= UPLOAD_TO_SIGNING and bool(APPROVAL_LEGS & found) and found >= FINISH_TO_DOCUMENTS
    )


async def wait_for_journey(trace_id: str, timeout_s: float = 90) -> list[Any]:
    """The trace's spans once documents -> Kafka -> signing -> CA -> documents is in it.

    Spans reach the trace store in batches, a few seconds after they end.
    """
    deadline = time.monotonic() + timeout_s
    found: set[tuple[str, str]] = set()
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            response = await client.get(f"{ZIPKIN_URL}/api/v2/trace/{trace_id}")
            if response.status_code == 200:
                spans: list[Any] = response.json()
                found = legs(spans)
                if journey_complete(found):
                    return spans
            await asyncio.sleep(2)
    missing = (UPLOAD_TO_SIGNING | FINISH_TO_DOCUMENTS) - found
    raise AssertionError(
        f"trace {trace_id} lacks {sorted(missing)}"
        + ("" if APPROVAL_LEGS & found else f" and any of {sorted(APPROVAL_LEGS)}")
        + f"; has {sorted(found)}"
    )


async def test_a_signing_moves_the_counters_reaches_the_metrics_server_and_is_one_trace(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> None:
    completed = {"outcome": "completed", "provider": "vnpt-smartca"}
    before_outcomes = await signing_total("hoso_signing_outcomes_total", **completed)
    before_latency = await signing_total(
        "hoso_signing_approval_to_signed_duration_seconds_count", provider="vnpt-smartca"
    )
    before_calls = await signing_total(
        "hoso_signing_provider_call_duration_seconds_count", operation="sign_hash", outcome="ok"
    )
    before_finished = total(
        await scrape(DOCUMENTS_PORT),
        "hoso_kafka_handler_duration_seconds_count",
        topic="hoso.signing.completed",
        outcome="ok",
    )

    trace_id = secrets.token_hex(16)
    await sign_one_document(gateway, ca, citizen, trace_id)

    # 1. /metrics: the signing replicas and documents counted it.
    assert await signing_total("hoso_signing_outcomes_total", **completed) >= before_outcomes + 1
    assert (
        await signing_total(
            "hoso_signing_approval_to_signed_duration_seconds_count", provider="vnpt-smartca"
        )
        >= before_latency + 1
    )
    assert (
        await signing_total(
            "hoso_signing_provider_call_duration_seconds_count",
            operation="sign_hash",
            outcome="ok",
        )
        >= before_calls + 1
    )
    documents = await scrape(DOCUMENTS_PORT)
    assert (
        total(
            documents,
            "hoso_kafka_handler_duration_seconds_count",
            topic="hoso.signing.completed",
            outcome="ok",
        )
        >= before_finished + 1
    )
    route = "route=/v1/documents"
    assert any(route in key for key in documents if "http_server_duration" in key), documents
    # Through the gateway, /metrics is not served.
    assert (await gateway.get("/api/signing/metrics")).status_code == 404

    # 2. The metrics server scraped them (every 5 s on the local stack).
    now_outcomes = await signing_total("hoso_signing_outcomes_total", **completed)
    promql = 'sum(hoso_signing_outcomes_total{job="signing",outcome="completed"})'
    async with httpx.AsyncClient(timeout=10) as client:
        deadline = time.monotonic() + 45
        seen = 0.0
        while time.monotonic() < deadline:
            seen = await query(client, promql)
            if seen >= now_outcomes:
                break
            await asyncio.sleep(2)
        assert seen >= now_outcomes, (seen, now_outcomes)
        targets = (await client.get(f"{METRICS_URL}/api/v1/targets")).json()["data"]
        jobs_up = {t["labels"]["job"] for t in targets["activeTargets"] if t["health"] == "up"}
        assert {"documents", "eforms", "submission", "signing"} <= jobs_up, jobs_up

    # 3. One trace, found by the id the upload started: documents -> Kafka -> signing ->
    # the CA's answer (callback or poll) -> SignCompleted -> documents.
    spans = await wait_for_journey(trace_id)
    assert all(re.fullmatch(r"[0-9a-f]{16}", s["id"]) for s in spans)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "flow1-trace-id.txt").write_text(trace_id + "\n")


async def test_an_approval_found_by_the_status_poll_stays_in_the_documents_trace(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> None:
    # Viettel-CA has no callback: signing's lease poller finds the approval, in a background
    # loop of its own, and resumes the trace stored with the request.
    trace_id = secrets.token_hex(16)
    await sign_one_document(gateway, ca, citizen, trace_id, provider="viettel-mysign")
    spans = await wait_for_journey(trace_id)
    assert ("signing", "signing status poll") in legs(spans)
    assert ("signing", "post /v1/callbacks/{provider}") not in legs(spans)
