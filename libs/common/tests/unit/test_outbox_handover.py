"""The handover contract: only a document written with its outbox lease is published as is."""

from __future__ import annotations

from typing import Any

from hoso_common.outbox import LEASE_FIELD, OutboxRelay, with_events


class Collection:
    name = "things"


def relay() -> OutboxRelay:
    # `written` reaches neither the broker nor the database.
    return OutboxRelay(None, [Collection()])  # type: ignore[arg-type, list-item]


def entry() -> dict[str, Any]:
    return {"key": "k", "value": {"id": "e"}}


def test_a_document_written_with_its_lease_is_handed_over() -> None:
    update = with_events({"$set": {"a": 1}}, [], source="/hoso/test", handover=True)
    assert update == {"$set": {"a": 1}}  # no events: nothing to publish, no lease taken
    outbox = relay()
    doc = {"_id": "d1", "outbox": [entry()], LEASE_FIELD: "until"}
    outbox.written(Collection(), doc)  # type: ignore[arg-type]
    assert [d for _, d in outbox._written] == [doc]
    assert "d1" not in outbox._hot


def test_a_document_without_its_lease_is_drained_by_claim() -> None:
    outbox = relay()
    outbox.written(Collection(), {"_id": "d2", "outbox": [entry()]})  # type: ignore[arg-type]
    assert outbox._written == []
    assert "d2" in outbox._hot


def test_an_empty_outbox_is_not_handed_over() -> None:
    outbox = relay()
    outbox.written(Collection(), {"_id": "d3", "outbox": []})  # type: ignore[arg-type]
    assert outbox._written == [] and "d3" not in outbox._hot
