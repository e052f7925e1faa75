"""One trace runs from an HTTP request, through the outbox and Kafka, into the consumer."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Request
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hoso_common import topics
from hoso_common.app import create_service_app
from hoso_common.broker import subscriber
from hoso_common.events import DocumentUploaded, Envelope
from hoso_common.outbox import outbox_entries
from hoso_common.platform import Platform
from hoso_common.settings import PlatformSettings
from hoso_common.telemetry import tracer_provider
from hoso_testing.endpoints import Endpoints
from hoso_testing.events import document_uploaded
from hoso_testing.server import serve_app

pytestmark = pytest.mark.integration


def current_trace_id() -> str:
    return format(trace.get_current_span().get_span_context().trace_id, "032x")


async def test_trace_id_flows_from_http_through_kafka_into_the_consumer(
    endpoints: Endpoints,
) -> None:
    exporter = InMemorySpanExporter()
    tracer_provider("telemetry-test", SimpleSpanProcessor(exporter))
    settings = PlatformSettings(mongo_database="hoso_test_telemetry")
    platform = Platform.create("telemetry-test", settings, outbox_collections=["things"])
    document_id = str(uuid.uuid4())
    consumed: dict[str, str] = {}

    @subscriber(platform.broker, topics.DOCUMENT_UPLOADED, group_id=f"trace-{document_id[:8]}")
    async def on_uploaded(envelope: Envelope[DocumentUploaded]) -> None:
        if envelope.data.document_id == document_id:
            consumed["trace_id"] = current_trace_id()

    router = APIRouter()

    @router.post("/v1/things")
    async def create_thing(request: Request) -> dict[str, Any]:
        event = document_uploaded(document_id, owner_id="citizen-trace", name="Truy vết")
        await platform.db["things"].insert_one(
            {"_id": document_id, "outbox": outbox_entries(event, source=platform.source)}
        )
        request.app.state.outbox_relay.nudge()
        return {"trace_id": current_trace_id()}

    app = create_service_app(
        platform,
        title="telemetry test",
        description="test",
        use_cases=[],
        routers=[router],
    )
    async with serve_app(app) as url:
        async with httpx.AsyncClient() as client:
            response = await client.post(f"{url}/v1/things")
        assert response.status_code == 200
        request_trace = response.json()["trace_id"]
        async with asyncio.timeout(30):
            while "trace_id" not in consumed:
                await asyncio.sleep(0.05)
    assert consumed["trace_id"] == request_trace
    traced = {
        span.name
        for span in exporter.get_finished_spans()
        if format(span.context.trace_id, "032x") == request_trace
    }
    assert any("publish" in name for name in traced), traced
    assert any("process" in name for name in traced), traced
