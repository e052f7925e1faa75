"""Two channels over the fakes: each message goes at most once, and one channel's end is its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hoso_common.events import DossierStatusChanged, new_envelope
from hoso_notifications.directory import Profile
from hoso_notifications.domain.delivery import DeliveryRefused, DeliveryUncertain
from hoso_notifications.service import Delivery, NotificationService, email_sender, sms_sender

from .fakes import FakeDirectory, FakeMailer, FakeStore

CITIZEN = "citizen-sms"


class FakeSmsGateway:
    """An SMS gateway in memory; `fail` makes the next sends raise it after the hand-over."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.fail: Exception | None = None

    async def send(self, *, phone: str, text: str, message_id: str, commit: Any) -> None:
        if isinstance(self.fail, DeliveryRefused):
            raise self.fail
        await commit()
        if self.fail is not None:
            raise self.fail
        self.sent.append({"phone": phone, "text": text, "id": message_id})


def status_changed(to_status: int) -> Any:
    return new_envelope(
        DossierStatusChanged(
            dossier_id="d-sms",
            receipt_code="CA-HNI-261130-000007",
            from_status=to_status - 1,
            to_status=to_status,
            actor="officer-2",
            owner_id=CITIZEN,
            changed_at=datetime(2026, 11, 30, tzinfo=UTC),
        ),
        source="/hoso/submission",
    )


class TwoChannels:
    def __init__(self) -> None:
        self.store = FakeStore()
        self.mailer = FakeMailer()
        self.gateway = FakeSmsGateway()
        directory = FakeDirectory(
            {CITIZEN: Profile(name="Trần Thị Bình", email="binh@example.vn", phone="0912345678")}
        )

        async def announce(created: Any) -> None:
            return None

        self.service = NotificationService(
            store=self.store, announce=announce, channels=("email", "sms")
        )
        mail = email_sender(
            self.mailer, sender="hoso <noreply@hoso.test>", domain="hoso.test", portal_url="/"
        )
        self.deliveries = [
            Delivery(channel="email", store=self.store, directory=directory, send=mail),
            Delivery(
                channel="sms",
                store=self.store,
                directory=directory,
                send=sms_sender(self.gateway, domain="hoso.test"),
            ),
        ]

    async def drain(self) -> None:
        for delivery in self.deliveries:
            while await delivery.run_once():
                pass


async def test_a_redelivered_event_is_one_email_and_one_sms() -> None:
    channels = TwoChannels()
    event = status_changed(to_status=2)

    for _ in range(3):
        await channels.service.record(event)
        await channels.drain()

    assert channels.store.states("email") == ["sent"] and channels.store.states("sms") == ["sent"]
    assert len(channels.mailer.delivered) == 1
    [sms] = channels.gateway.sent
    assert sms["phone"] == "0912345678" and "CA-HNI-261130-000007" in sms["text"]


async def test_an_sms_refused_or_lost_in_the_gateway_is_not_sent_again_and_the_email_goes() -> None:
    channels = TwoChannels()
    channels.gateway.fail = DeliveryRefused("số điện thoại bị chặn")
    await channels.service.record(status_changed(to_status=2))
    await channels.drain()
    channels.gateway.fail = DeliveryUncertain("connection reset after the hand-over")
    await channels.service.record(status_changed(to_status=4))
    await channels.drain()
    channels.gateway.fail = None
    await channels.drain()

    assert channels.store.states("sms") == ["failed", "uncertain"]
    assert channels.gateway.sent == []
    assert channels.store.states("email") == ["sent", "sent"]
    assert len(channels.mailer.delivered) == 2
