"""Notifications: one per person and event, one e-mail per status change, even through an outage.

The citizen submits a real dossier (flow 2) and an officer moves it through its statuses; the
citizen's mailbox in Mailpit holds exactly one e-mail per status change, in Vietnamese, also
when Mailpit was stopped while some of the changes were made. An event delivered twice gives
one notification and one e-mail, and a person sees and marks only their own notifications.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from hoso_common.events import DossierStatusChanged, cloudevent_headers, new_envelope
from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.mailbox import Mailbox

from . import api_client as portal
from .test_flow2_submit_dossier import dossier_with_signed_form_and_scan

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
NOTIFICATIONS = "/api/notifications/v1/notifications"
# what the citizen reads in each e-mail's subject, by DVCQG status
STATUS_WORDS = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    4: "Đang xử lý",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    8: "Dừng xử lý",
}


def stack(command: str, part: str) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "stack" / "hoso_stack.py"), command, part],
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture
def mailbox(endpoints: Endpoints) -> Mailbox:
    return Mailbox(f"{endpoints.gateway_url}/mail")


@pytest_asyncio.fixture
async def producer(endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


async def publish(producer: AIOKafkaProducer, envelope: Any) -> None:
    """The envelope exactly as submission's outbox relay sends it."""
    await producer.send_and_wait(
        envelope.data.topic,
        json.dumps(envelope.model_dump(mode="json")).encode(),
        key=envelope.data.partition_key().encode(),
        headers=[(k, v.encode()) for k, v in cloudevent_headers(envelope).items()],
    )


async def notifications(gateway: httpx.AsyncClient, user: TestUser) -> dict[str, Any]:
    response = await gateway.get(NOTIFICATIONS, params={"size": 100}, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_notifications(
    gateway: httpx.AsyncClient, user: TestUser, count: int, *, emailed: bool = False
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for _ in range(240):
        items = (await notifications(gateway, user))["items"]
        settled = all(i["email"] in (None, "sent") for i in items) if emailed else True
        if len(items) >= count and settled:
            return items
        await asyncio.sleep(0.5)
    raise AssertionError(f"{len(items)} of {count} notifications: {items}")


async def submitted_dossier(
    gateway: httpx.AsyncClient, ca: httpx.AsyncClient, citizen: TestUser
) -> tuple[str, str]:
    """Flow 2 through the APIs: signed e-form and a saved scan attached, then submitted."""
    dossier, form, scan = await dossier_with_signed_form_and_scan(gateway, ca, citizen)
    await portal.attach_eform(gateway, citizen, dossier["id"], "TK", form["id"])
    await portal.attach_from_vault(gateway, citizen, dossier["id"], "CCCD", scan)
    submitted = await portal.submit_dossier(gateway, citizen, dossier["id"])
    assert submitted.status_code == 200, submitted.text
    return dossier["id"], str(submitted.json()["receipt_code"])


@pytest.mark.slow
async def test_one_email_per_status_change_over_a_dossiers_life_even_while_smtp_is_down(
    gateway: httpx.AsyncClient,
    ca: httpx.AsyncClient,
    citizen: TestUser,
    officer_of: Any,
    mailbox: Mailbox,
) -> None:
    dossier_id, receipt = await submitted_dossier(gateway, ca, citizen)
    officer = await officer_of("STP-HNI")
    await portal.officer_action(gateway, officer, dossier_id, "accept", "Hồ sơ hợp lệ")
    await portal.officer_action(gateway, officer, dossier_id, "start_processing")
    await mailbox.wait_for(citizen.email, 3)

    # The SMTP server goes away while the officer goes on: nothing is lost, nothing doubled.
    stack("stop", "mailpit")
    try:
        await portal.officer_action(
            gateway, officer, dossier_id, "request_payment", "Lệ phí 200.000 đồng"
        )
        await portal.officer_action(gateway, officer, dossier_id, "confirm_payment")
        await portal.officer_action(
            gateway, officer, dossier_id, "stop", "Người yêu cầu đề nghị dừng"
        )
        # each of the three e-mails was tried and is waiting for the server
        for _ in range(120):
            items = (await notifications(gateway, citizen))["items"]
            waiting = [i for i in items if i["kind"] == "dossier" and i["email"] == "pending"]
            if len(waiting) == 3:
                break
            await asyncio.sleep(0.5)
        assert len(waiting) == 3, items
    finally:
        stack("start", "mailpit")

    expected = [1, 2, 4, 6, 4, 8]
    mails = await mailbox.wait_for(citizen.email, len(expected))
    items = await wait_for_notifications(gateway, citizen, 8, emailed=True)
    # the last retries have had their chance to send a second copy
    await asyncio.sleep(6)
    mails = await mailbox.messages(citizen.email)
    assert len(mails) == len(expected), [m["Subject"] for m in mails]
    assert sorted(m["Subject"] for m in mails) == sorted(
        f"Hồ sơ {receipt}: {STATUS_WORDS[s]}" for s in expected
    )
    assert len({m["MessageID"] for m in mails}) == len(expected)

    first = await mailbox.message(mails[0]["ID"])
    assert first["Text"].startswith(f"Kính gửi Ông/Bà {citizen.name},")
    assert f"/ho-so-da-nop/{dossier_id}" in first["Text"]
    assert "Vui lòng không trả lời thư này" in first["Text"]

    # on the "Thông báo" page: the submission, each status change and the e-form's signing
    dossier_items = [i for i in items if i["subject_id"] == dossier_id]
    assert len(dossier_items) == len(expected) + 1
    assert sum(i["email"] == "sent" for i in dossier_items) == len(expected)


async def test_a_redelivered_event_gives_one_notification_and_one_email(
    gateway: httpx.AsyncClient,
    citizen: TestUser,
    mailbox: Mailbox,
    producer: AIOKafkaProducer,
) -> None:
    dossier_id = uuid.uuid4().hex[:24]

    def changed(to_status: int) -> Any:
        return new_envelope(
            DossierStatusChanged(
                dossier_id=dossier_id,
                receipt_code=f"STP-HNI-261130-{uuid.uuid4().int % 10**6:06d}",
                from_status=1,
                to_status=to_status,
                actor="officer",
                owner_id=citizen.sub,
                changed_at=datetime.now(UTC),
            ),
            source="/hoso/submission",
        )

    event = changed(2)
    await publish(producer, event)
    await publish(producer, event)
    # a later event on the same partition: once it is told, both deliveries were handled
    await publish(producer, changed(4))
    items = await wait_for_notifications(gateway, citizen, 2, emailed=True)
    await asyncio.sleep(3)
    assert len((await notifications(gateway, citizen))["items"]) == 2
    mails = await mailbox.messages(citizen.email)
    assert len(mails) == 2, [m["Subject"] for m in mails]
    assert [i["email"] for i in items] == ["sent", "sent"]


async def test_a_person_sees_and_marks_only_their_own_notifications(
    gateway: httpx.AsyncClient,
    citizen: TestUser,
    idp: IdpClient,
    producer: AIOKafkaProducer,
) -> None:
    other = await idp.citizen("Trần Thị Bình")
    await publish(
        producer,
        new_envelope(
            DossierStatusChanged(
                dossier_id=uuid.uuid4().hex[:24],
                receipt_code="STP-HNI-261130-000042",
                from_status=1,
                to_status=3,
                actor="officer",
                owner_id=citizen.sub,
                note="Sai mẫu tờ khai",
                changed_at=datetime.now(UTC),
            ),
            source="/hoso/submission",
        ),
    )
    [mine] = await wait_for_notifications(gateway, citizen, 1)
    assert "Không được tiếp nhận" in mine["body"] and "Sai mẫu tờ khai" in mine["body"]
    assert (await notifications(gateway, other))["items"] == []

    theirs = await gateway.post(f"{NOTIFICATIONS}/{mine['id']}/read", headers=other.headers)
    assert theirs.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    assert theirs.json()["code"] == "notification_not_found"
    anonymous = await gateway.get(NOTIFICATIONS)
    assert anonymous.status_code == 401

    counted = await gateway.get(f"{NOTIFICATIONS}/unread-count", headers=citizen.headers)
    assert counted.json() == {"unread": 1}
    read = await gateway.post(f"{NOTIFICATIONS}/{mine['id']}/read", headers=citizen.headers)
    assert read.status_code == 204
    counted = await gateway.get(f"{NOTIFICATIONS}/unread-count", headers=citizen.headers)
    assert counted.json() == {"unread": 0}
