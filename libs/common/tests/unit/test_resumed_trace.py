"""Work resumed later by a background loop goes on in the trace stored with its request."""

from opentelemetry import propagate, trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hoso_common.telemetry import resumed_trace, trace_headers, tracer_provider

EXPORTER = InMemorySpanExporter()
PROVIDER = tracer_provider("resumed-trace-test", SimpleSpanProcessor(EXPORTER))
TRACER = PROVIDER.get_tracer(__name__)


def trace_id_of(headers: dict[str, str]) -> str:
    return headers["traceparent"].split("-")[1]


def stored_request_trace() -> tuple[dict[str, str], trace.SpanContext]:
    with TRACER.start_as_current_span("hoso.signing.requested process") as span:
        return trace_headers(), span.get_span_context()


def test_a_poll_outside_any_trace_writes_its_events_in_the_stored_trace() -> None:
    stored, origin = stored_request_trace()
    assert trace_headers() == {}

    with resumed_trace(stored, "signing status poll"):
        written = trace_headers()

    assert trace_id_of(written) == format(origin.trace_id, "032x")
    poll = next(s for s in EXPORTER.get_finished_spans() if s.name == "signing status poll")
    assert poll.parent is not None and poll.parent.span_id == origin.span_id
    assert trace_headers() == {}, "the stored context is detached again"


def test_work_inside_another_trace_moves_to_the_stored_one() -> None:
    stored, origin = stored_request_trace()
    with TRACER.start_as_current_span("post /v1/callbacks/{provider}"), resumed_trace(stored):
        assert trace_id_of(trace_headers()) == format(origin.trace_id, "032x")


def test_work_already_in_the_stored_trace_keeps_its_own_span() -> None:
    stored, _ = stored_request_trace()
    with TRACER.start_as_current_span("child", context=propagate.extract(stored)):
        inside = trace_headers()
        with resumed_trace(stored, "signing status poll"):
            assert trace_headers() == inside


def test_a_request_stored_without_a_trace_changes_nothing() -> None:
    with resumed_trace(None, "signing status poll"), resumed_trace({}):
        assert trace_headers() == {}
