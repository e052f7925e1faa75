"""The signing use cases on in-memory fakes: intake, answers, finishing and the sweep."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest

from hoso_common.errors import NotFound
from hoso_common.events import ObjectRef, SignApproved, SignCompleted, SignRequested
from hoso_signing.config import Settings
from hoso_signing.crypto.validation import SignatureValidator
from hoso_signing.domain.states import SignStatus
from hoso_signing.domain.webhooks import webhook_signature
from hoso_signing.errors import CallbackRefused, OtpNotExpected
from hoso_signing.providers import ProviderError
from hoso_signing.service import SigningService
from hoso_signing.usecases.context import SigningContext
from hoso_testing.signing.pki import ThrowawayPki

from .fakes import FakeCa, FakePades, FakeSignRequests, FakeStorage

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n% a page\n%%EOF\n"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def pki() -> ThrowawayPki:
    return ThrowawayPki.create()


class Harness:
    def __init__(self, pki: ThrowawayPki) -> None:
        self.settings = Settings()
        self.requests = FakeSignRequests()
        self.storage = FakeStorage()
        self.ca = FakeCa(pki)
        self.clock = Clock()
        context = SigningContext(
            settings=self.settings,
            requests=self.requests,
            storage=self.storage,
            providers={self.ca.provider_id: self.ca},
            pades=FakePades(signed_at=START),
            clock=self.clock,
        )
        self.service = SigningService(
            context, validator=SignatureValidator.__new__(SignatureValidator)
        )

    async def request(
        self, data: bytes = PDF, *, request_id: str = "a" * 32, filename: str = "don.pdf"
    ) -> SignRequested:
        self.storage.objects[("hoso-documents", f"src/{request_id}")] = data
        event = SignRequested(
            request_id=request_id,
            source="documents",
            source_id="doc-1",
            document_name="Đơn đề nghị",
            object=ObjectRef(
                bucket="hoso-documents",
                key=f"src/{request_id}",
                version=1,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                content_type="application/pdf" if data.startswith(b"%PDF") else "text/plain",
                filename=filename,
            ),
            signer_id="001099000001",
            signer_sub="citizen-1",
            provider=self.ca.provider_id,
        )
        await self.service.intake.accept(event)
        return event

    async def callback(self, transaction_id: str) -> str:
        body = transaction_id.encode()
        timestamp = str(int(time.time()))
        secret = self.settings.webhook_secret.get_secret_value()
        return await self.service.answers.receive_callback(
            self.ca.provider_id,
            body,
            timestamp=timestamp,
            signature=webhook_signature(secret, timestamp, body),
        )

    def events(self, request_id: str = "a" * 32) -> list[object]:
        return list(self.requests.events.get(request_id, []))


@pytest.fixture
def harness(pki: ThrowawayPki) -> Harness:
    return Harness(pki)


async def test_a_request_is_prepared_and_sent_to_the_ca_once(harness: Harness) -> None:
    event = await harness.request()
    await harness.service.intake.accept(event)  # redelivered
    request = harness.requests[event.request_id]
    assert request.status is SignStatus.AWAITING_APPROVAL
    assert request.transaction_id == f"tx-{event.request_id}"
    assert request.signer_name == "NGUYỄN VĂN A"
    assert list(harness.ca.asked.values()) == [hashlib.sha256(PDF).digest()]
    assert request.prepared_key is not None
    assert (harness.settings.bucket, request.prepared_key) in harness.storage.objects
    assert harness.events() == []


async def test_a_file_changed_since_the_request_fails_it(harness: Harness) -> None:
    event = await harness.request(b"%PDF-1.7 other")
    harness.storage.objects[(event.object.bucket, event.object.key)] = b"%PDF-1.7 changed"
    await harness.service.intake.accept(event.model_copy(update={"request_id": "b" * 32}))
    request = harness.requests["b" * 32]
    assert (request.status, request.failure_reason) == (SignStatus.FAILED, "source_changed")
    [completed] = harness.events("b" * 32)
    assert isinstance(completed, SignCompleted)
    assert (completed.status, completed.failure_reason) == ("failed", "source_changed")


async def test_a_ca_that_refuses_the_signer_fails_the_request_and_an_outage_retries(
    harness: Harness,
) -> None:
    harness.ca.refuse_certificate = ProviderError("away", retryable=True)
    with pytest.raises(ProviderError):
        await harness.request(request_id="c" * 32)
    assert harness.requests["c" * 32].status is SignStatus.REQUESTED
    harness.ca.refuse_certificate = ProviderError("no", retryable=False, code="agreement_not_found")
    await harness.service.intake.advance("c" * 32)
    request = harness.requests["c" * 32]
    assert (request.status, request.failure_reason) == (
        SignStatus.FAILED,
        "provider_agreement_not_found",
    )


async def test_an_approval_by_callback_is_recorded_once_then_finished(harness: Harness) -> None:
    event = await harness.request()
    transaction_id = f"tx-{event.request_id}"
    harness.ca.outcome = "approved"
    assert await harness.callback(transaction_id) == "recorded"
    assert await harness.callback(transaction_id) == "duplicate"
    [approved] = harness.events()
    assert isinstance(approved, SignApproved) and approved.outcome == "approved"
    assert harness.requests[event.request_id].status is SignStatus.APPROVED

    await harness.service.finishing.finish(event.request_id)
    await harness.service.finishing.finish(event.request_id)  # the event redelivered
    request = harness.requests[event.request_id]
    assert request.status is SignStatus.COMPLETED
    key = f"signed/{event.request_id}/don.pdf"
    assert harness.storage.objects[(harness.settings.bucket, key)] == PDF + b"%signed"
    completed = harness.events()[1:]
    assert len(completed) == 1 and isinstance(completed[0], SignCompleted)
    assert completed[0].status == "signed"
    assert completed[0].signed_object is not None and completed[0].signed_object.version == 2
    assert (completed[0].pades_level, completed[0].signer_name) == ("B-LT", "NGUYỄN VĂN A")


async def test_a_callback_must_be_signed_and_name_a_known_transaction(harness: Harness) -> None:
    await harness.request()
    with pytest.raises(CallbackRefused):
        await harness.service.answers.receive_callback(
            harness.ca.provider_id, b"tx", timestamp=str(int(time.time())), signature="0" * 64
        )
    harness.ca.outcome = "rejected"
    with pytest.raises(NotFound):
        await harness.callback("tx-unknown")


async def test_a_signature_that_does_not_verify_fails_the_request(harness: Harness) -> None:
    event = await harness.request()
    harness.ca.outcome = "approved"
    transaction_id = f"tx-{event.request_id}"
    harness.ca.asked[transaction_id] = hashlib.sha256(b"another document").digest()
    assert await harness.callback(transaction_id) == "recorded"
    await harness.service.finishing.finish(event.request_id)
    request = harness.requests[event.request_id]
    assert (request.status, request.failure_reason) == (
        SignStatus.FAILED,
        "invalid_provider_signature",
    )


async def test_a_file_that_is_not_a_pdf_gets_a_detached_cades_signature(harness: Harness) -> None:
    event = await harness.request(b"plain text to sign", filename="ghi-chu.txt")
    request = harness.requests[event.request_id]
    assert (request.format, request.prepared_key) == ("cades", None)
    harness.ca.outcome = "approved"
    await harness.callback(f"tx-{event.request_id}")
    await harness.service.finishing.finish(event.request_id)
    request = harness.requests[event.request_id]
    assert request.status is SignStatus.COMPLETED
    assert request.signed_object is not None
    assert request.signed_object.filename == "ghi-chu.txt.p7s"
    assert request.signed_object.content_type == "application/pkcs7-signature"


async def test_the_poller_records_a_rejection_and_leaves_a_pending_one(harness: Harness) -> None:
    await harness.request(request_id="d" * 32)
    await harness.request(request_id="e" * 32)
    harness.clock.advance(harness.settings.vnpt_poll_after_s + 1)
    assert await harness.service.answers.poll_due() == 2
    assert harness.requests["d" * 32].status is SignStatus.AWAITING_APPROVAL
    harness.ca.outcome = "rejected"
    harness.clock.advance(harness.settings.poll_interval_s + 1)
    assert await harness.service.answers.poll_due() == 2
    assert harness.requests.final() == {
        "d" * 32: SignStatus.REJECTED,
        "e" * 32: SignStatus.REJECTED,
    }
    [approved, completed] = harness.events("d" * 32)
    assert isinstance(approved, SignApproved) and approved.outcome == "rejected"
    assert isinstance(completed, SignCompleted) and completed.status == "rejected"


async def test_the_sweep_expires_unanswered_requests_and_finishes_stalled_ones(
    harness: Harness,
) -> None:
    await harness.request(request_id="f" * 32)
    approved = await harness.request(request_id="0" * 32)
    harness.ca.outcome = "approved"
    await harness.callback(f"tx-{approved.request_id}")
    harness.clock.advance(harness.settings.ca_request_ttl_s + harness.settings.expiry_margin_s + 1)
    await harness.service.background.sweep()
    assert harness.requests.final() == {
        "f" * 32: SignStatus.EXPIRED,
        "0" * 32: SignStatus.COMPLETED,
    }


async def test_an_otp_is_refused_for_a_provider_that_takes_none(harness: Harness) -> None:
    event = await harness.request()
    with pytest.raises(OtpNotExpected):
        await harness.service.authorize_otp(event.request_id, "citizen-1", "123456")
    with pytest.raises(NotFound):
        await harness.service.authorize_otp(event.request_id, "someone-else", "123456")
    view = await harness.service.signers_request(event.request_id, "citizen-1")
    assert (view.provider_name, view.expects_otp) == ("VNPT SmartCA", False)
