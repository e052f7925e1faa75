"""Signing's answer to a service that waited too long for a SignCompleted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hoso_common.events import SignRequested, SignStatusQueried
from hoso_signing.config import Settings
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.usecases.answers import Answers
from hoso_signing.usecases.context import SigningContext

from .fakes import FakePades, FakeSignRequests, FakeStorage

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def requests_of(*stored: SignRequest) -> FakeSignRequests:
    requests = FakeSignRequests()
    for request in stored:
        requests.put(request)
    return requests


def answers(requests: FakeSignRequests) -> Answers:
    return Answers(
        SigningContext(
            settings=Settings(),
            requests=requests,
            storage=FakeStorage(),
            providers={},
            pades=FakePades(signed_at=NOW),
            clock=lambda: NOW,
        )
    )


def query(request_id: str = "r-1", source: str = "documents") -> SignStatusQueried:
    return SignStatusQueried(
        request_id=request_id,
        source=source,  # type: ignore[arg-type]
        source_id="doc-1",
        waiting_since=NOW,
    )


def request_doc(status: str, **fields: Any) -> SignRequest:
    return SignRequest.model_validate(
        {
            "id": "r-1",
            "status": status,
            "source": "documents",
            "source_id": "doc-1",
            "document_name": "a.pdf",
            "signer_id": "001",
            "signer_sub": "s",
            "provider": "vnpt-smartca",
            "created_at": NOW,
            "updated_at": NOW,
            "signer_name": "NGUYEN VAN A",
            **fields,
        }
    )


async def test_a_completed_request_is_announced_again_with_its_signed_file() -> None:
    signed = {
        "bucket": "hoso-signing",
        "key": "signed/r-1/a.pdf",
        "version": 2,
        "sha256": "a" * 64,
        "size": 10,
        "content_type": "application/pdf",
        "filename": "a.pdf",
    }
    requests = requests_of(
        request_doc(
            "completed",
            signed_object=signed,
            format="pades",
            signed_at=NOW,
            signature_level="B-LT",
        )
    )
    answer = await answers(requests).answer_status_query(query())
    assert answer is not None
    assert answer.status == "signed"
    assert answer.reconciled is True
    assert answer.signed_object is not None and answer.signed_object.key == signed["key"]
    assert answer.pades_level == "B-LT"
    assert answer.source_id == "doc-1"


async def test_a_failed_request_is_announced_again_with_its_reason() -> None:
    requests = requests_of(request_doc("expired", failure_reason="expired"))
    answer = await answers(requests).answer_status_query(query())
    assert answer is not None
    assert (answer.status, answer.failure_reason, answer.reconciled) == (
        "expired",
        "expired",
        True,
    )


async def test_a_request_in_progress_answers_nothing() -> None:
    requests = requests_of(request_doc("awaiting_approval"))
    assert await answers(requests).answer_status_query(query()) is None


async def test_a_request_never_received_ends_failed_and_a_late_arrival_cannot_start_it() -> None:
    requests = requests_of()
    answer = await answers(requests).answer_status_query(query())
    assert answer is not None
    assert (answer.status, answer.failure_reason) == ("failed", "request_lost")
    assert requests["r-1"].status == "failed"
    # The late SignRequested finds the id taken: it is "seen again", not a new request.
    late = SignRequested(
        request_id="r-1",
        source="documents",
        source_id="doc-1",
        document_name="a.pdf",
        object={
            "bucket": "b",
            "key": "k",
            "version": 1,
            "sha256": "a" * 64,
            "size": 1,
            "content_type": "application/pdf",
            "filename": "a.pdf",
        },
        signer_id="001",
        signer_sub="s",
        provider="vnpt-smartca",
    )
    assert await requests.insert(SignRequest.requested(late, NOW, {})) is False


async def test_another_service_cannot_learn_a_request_it_does_not_own() -> None:
    requests = requests_of(request_doc("completed"))
    assert await answers(requests).answer_status_query(query(source="eforms")) is None
