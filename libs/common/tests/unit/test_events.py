import json
import uuid

import pytest
from pydantic import ValidationError

from hoso_common import topics
from hoso_common.events import (
    DocumentUploaded,
    Envelope,
    ObjectRef,
    SignCompleted,
    cloudevent_headers,
    new_envelope,
)
from hoso_common.outbox import outbox_entry, push_events
from hoso_testing.events import object_ref


def uploaded() -> DocumentUploaded:
    return DocumentUploaded(
        document_id=str(uuid.uuid4()),
        owner_id="citizen-1",
        name="Giấy khai sinh",
        object=object_ref("Giấy khai sinh.pdf"),
        sign_requested=False,
    )


def test_envelope_carries_cloudevents_attributes_and_schema_version() -> None:
    event = uploaded()
    envelope = new_envelope(event, source="/hoso/documents", correlation_id="c-1")
    body = envelope.model_dump(mode="json")
    assert body["specversion"] == "1.0"
    assert body["type"] == "vn.hoso.documents.DocumentUploaded"
    assert body["schemaversion"] == 1
    assert body["source"] == "/hoso/documents"
    assert body["correlationid"] == "c-1"
    assert body["data"]["document_id"] == event.document_id
    headers = cloudevent_headers(envelope)
    assert headers["ce_id"] == envelope.id
    assert headers["ce_type"] == body["type"]


def test_envelope_round_trips_through_json() -> None:
    envelope = new_envelope(uploaded(), source="/hoso/documents")
    raw = json.dumps(envelope.model_dump(mode="json"))
    parsed = Envelope[DocumentUploaded].model_validate_json(raw)
    assert parsed == envelope


def test_payloads_refuse_unknown_fields_and_bad_digests() -> None:
    with pytest.raises(ValidationError):
        ObjectRef.model_validate({**object_ref().model_dump(), "sha256": "xyz"})
    with pytest.raises(ValidationError):
        SignCompleted.model_validate(
            {
                "request_id": "r",
                "source": "documents",
                "source_id": "d",
                "status": "signed",
                "surprise": 1,
            }
        )


def test_every_event_field_is_described() -> None:
    for model in (DocumentUploaded, SignCompleted):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_outbox_entry_targets_the_event_topic_with_its_key() -> None:
    event = uploaded()
    entry = outbox_entry(new_envelope(event, source="/hoso/documents"))
    assert entry["topic"] == topics.DOCUMENT_UPLOADED
    assert entry["key"] == event.document_id
    assert entry["value"]["data"]["name"] == "Giấy khai sinh"
    clause = push_events(event, event, source="/hoso/documents")
    assert len(clause["outbox"]["$each"]) == 2
    ids = {e["id"] for e in clause["outbox"]["$each"]}
    assert len(ids) == 2


def test_dead_letter_topic_names() -> None:
    assert topics.dead_letter(topics.SIGN_REQUESTED) == "hoso.signing.requested.dlt"
    assert set(topics.SIGNING_TOPICS) <= set(topics.ALL_TOPICS)
