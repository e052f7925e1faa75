"""The use cases with fakes: what an event means, once-only storage, and at-most-once delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest

from hoso_common.events import (
    DossierResultReturned,
    DossierStatusChanged,
    Envelope,
    NotificationCreated,
    SignCompleted,
    new_envelope,
)
from hoso_notifications.directory import Profile
from hoso_notifications.domain.delivery import backoff_s
from hoso_notifications.domain.notification import plan
from hoso_notifications.errors import NotificationNotFound
from hoso_notifications.service import Delivery, NotificationService, email_sender, sms_sender
from hoso_notifications.sms import LogSmsSender
from hoso_notifications.smtp import build_email
from hoso_testing.events import object_ref

from .fakes import FakeDirectory, FakeMailer, FakeStore

ME = "citizen-1"
THEM = "citizen-2"


def status_changed(owner: str | None = ME, to_status: int = 2, note: str | None = None) -> Any:
    return new_envelope(
        DossierStatusChanged(
            dossier_id="d1",
            receipt_code="STP-HNI-261130-000001",
            from_status=1,
            to_status=to_status,
            actor="officer-1",
            owner_id=owner,
            note=note,
            changed_at=datetime(2026, 11, 30, tzinfo=UTC),
        ),
        source="/hoso/submission",
    )


def signed(signer: str | None = ME) -> Any:
    return new_envelope(
        SignCompleted(
            request_id="req-1",
            source="documents",
            source_id="doc1",
            status="signed",
            signer_sub=signer,
        ),
        source="/hoso/signing",
    )


def returned() -> Any:
    return new_envelope(
        DossierResultReturned(
            dossier_id="d1",
            receipt_code="STP-HNI-261130-000001",
            procedure_code="2.000488",
            procedure_name="Cấp Phiếu lý lịch tư pháp",
            agency_code="STP-HNI",
            owner_id=ME,
            result=object_ref("ket-qua.pdf"),
            signed_by="officer-1",
            signer_name="Lê Minh Cường",
            returned_at=datetime(2026, 11, 30, tzinfo=UTC),
        ),
        source="/hoso/submission",
    )


class Harness:
    def __init__(self) -> None:
        self.store = FakeStore()
        self.announced: list[NotificationCreated] = []
        self.service = NotificationService(
            store=self.store, announce=self._announce, channels=("email",)
        )
        self.directory = FakeDirectory(
            {ME: Profile(name="Nguyễn Văn An", email="an@example.vn", phone=None)}
        )
        self.mailer = FakeMailer()
        self.delivery = Delivery(
            channel="email",
            store=self.store,
            directory=self.directory,
            send=email_sender(
                self.mailer,
                sender="hoso <noreply@hoso.test>",
                domain="hoso.test",
                portal_url="https://portal.test",
            ),
            backoff_base_s=0,
            max_backoff_s=0,
        )

    async def _announce(self, created: NotificationCreated) -> None:
        self.announced.append(created)

    async def drain(self) -> None:
        while await self.delivery.run_once():
            pass


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_a_status_change_is_told_in_vietnamese_to_the_owner_only() -> None:
    [made] = plan(status_changed(to_status=5, note="Thiếu bản sao CCCD"), channels=("email",))
    assert made.recipient == ME and made.channels == ("email",)
    assert "Yêu cầu bổ sung giấy tờ" in made.body and "Thiếu bản sao CCCD" in made.body
    assert made.message is not None
    assert made.message.subject == "Hồ sơ STP-HNI-261130-000001: Yêu cầu bổ sung giấy tờ"
    assert "Ông/Bà vui lòng bổ sung giấy tờ" in made.message.text


def test_events_that_name_nobody_are_told_to_nobody() -> None:
    assert plan(status_changed(owner=None), channels=("email",)) == []
    assert plan(signed(signer=None), channels=("email",)) == []


def test_only_status_changes_and_results_are_sent_beyond_the_portal() -> None:
    [signing] = plan(signed(), channels=("email", "sms"))
    assert signing.channels == () and signing.message is None
    [result] = plan(returned(), channels=("email", "sms"))
    assert result.kind == "result" and result.channels == ("email", "sms")
    assert result.message is not None and "Lê Minh Cường" in result.message.text


def test_a_reconciled_signing_outcome_is_the_same_notification() -> None:
    first = signed()
    again = Envelope[SignCompleted](**{**first.model_dump(), "id": "another-event-id"})
    assert plan(first, channels=())[0].id == plan(again, channels=())[0].id


async def test_a_redelivered_event_gives_one_notification_and_one_email(
    harness: Harness,
) -> None:
    event = status_changed()
    await harness.service.record(event)
    await harness.service.record(event)
    await harness.drain()
    assert len(harness.store.docs) == 1
    assert len(harness.mailer.delivered) == 1
    # announced on each delivery (the portal only shows the count), with the true count
    assert [a.unread for a in harness.announced] == [1, 1]
    mail = harness.mailer.delivered[0]
    assert mail["To"] == "an@example.vn"
    assert str(make_header(decode_header(mail["Subject"]))) == (
        "Hồ sơ STP-HNI-261130-000001: Được tiếp nhận"
    )
    assert mail["Message-ID"].endswith("@hoso.test>")
    text = mail.get_payload(decode=True).decode()
    assert "Kính gửi Ông/Bà Nguyễn Văn An," in text
    assert "https://portal.test/ho-so-da-nop/d1" in text


async def test_while_smtp_is_down_the_email_waits_and_goes_once_when_it_is_back(
    harness: Harness,
) -> None:
    await harness.service.record(status_changed())
    harness.mailer.down = True
    for _ in range(3):
        await harness.delivery.run_once()
    assert harness.store.states("email") == ["pending"]
    assert harness.mailer.delivered == []
    harness.mailer.down = False
    await harness.drain()
    await harness.drain()
    assert harness.store.states("email") == ["sent"] and len(harness.mailer.delivered) == 1


async def test_a_sender_that_died_after_handing_over_is_never_resent(harness: Harness) -> None:
    await harness.service.record(status_changed())
    now = datetime.now(UTC)
    # the first sender claimed and committed, then died before `sent`
    raw = await harness.store.claim("email", owner="dead", now=now, lease=timedelta(seconds=-1))
    assert raw is not None
    assert await harness.store.commit("email", raw["_id"], "dead")
    await harness.drain()
    assert harness.store.states("email") == ["uncertain"]
    assert harness.mailer.delivered == []


async def test_a_sender_that_died_before_committing_is_taken_over(harness: Harness) -> None:
    await harness.service.record(status_changed())
    now = datetime.now(UTC)
    await harness.store.claim("email", owner="dead", now=now, lease=timedelta(seconds=-1))
    await harness.drain()
    assert harness.store.states("email") == ["sent"] and len(harness.mailer.delivered) == 1


async def test_a_person_without_an_address_is_skipped_and_an_idp_outage_waits(
    harness: Harness,
) -> None:
    harness.directory.down = True
    await harness.service.record(status_changed())
    await harness.delivery.run_once()
    assert harness.store.states("email") == ["pending"]
    harness.directory.down = False
    harness.directory.profiles[ME] = Profile(name=None, email=None, phone=None)
    await harness.drain()
    assert harness.store.states("email") == ["skipped"] and harness.mailer.delivered == []


async def test_a_person_reads_and_marks_only_their_own(harness: Harness) -> None:
    await harness.service.record(status_changed())
    await harness.service.record(status_changed(owner=THEM))
    items, total, unread = await harness.service.page(ME, page=1, size=10)
    assert total == 1 and unread == 1 and items[0][0].recipient == ME
    theirs = next(d["_id"] for d in harness.store.docs.values() if d["recipient"] == THEM)
    with pytest.raises(NotificationNotFound):
        await harness.service.mark_read(ME, theirs)
    assert await harness.service.mark_read(ME) == 1
    assert await harness.service.unread(ME) == 0 and await harness.service.unread(THEM) == 1


def test_the_wait_between_attempts_doubles_up_to_its_cap() -> None:
    waits = [backoff_s(n, base_s=2, max_s=30) for n in range(1, 7)]
    assert waits == [2, 4, 8, 16, 30, 30]


def test_a_long_vietnamese_subject_keeps_its_spaces_when_folded() -> None:
    from email import message_from_bytes

    subject = "Hồ sơ STP-HNI-261130-000001: Yêu cầu thực hiện nghĩa vụ tài chính"
    mail = build_email(
        sender="Cổng dịch vụ công <khong-tra-loi@hoso.test>",
        to="an@example.vn",
        subject=subject,
        text="Kính gửi",
        message_id="<x@hoso.test>",
    )
    parsed = message_from_bytes(mail.as_bytes())
    assert str(make_header(decode_header(parsed["Subject"]))) == subject
    assert "Cổng dịch vụ công" in str(make_header(decode_header(parsed["From"])))


async def test_the_sandbox_sms_gateway_logs_each_sms_once_with_the_number_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeStore()
    service = NotificationService(store=store, announce=_ignore, channels=("email", "sms"))
    directory = FakeDirectory({ME: Profile(name="An", email=None, phone="0987654321")})
    delivery = Delivery(
        channel="sms",
        store=store,
        directory=directory,
        send=sms_sender(LogSmsSender(), domain="hoso.test"),
    )
    event = status_changed()
    await service.record(event)
    await service.record(event)
    with caplog.at_level("INFO", logger="hoso_notifications.sms"):
        while await delivery.run_once():
            pass
    logged = [r for r in caplog.records if r.getMessage() == "sms sent (sandbox)"]
    assert len(logged) == 1
    assert logged[0].phone == "******4321"  # type: ignore[attr-defined]
    assert store.states("sms") == ["sent"]


async def _ignore(_created: NotificationCreated) -> None:
    return None
