"""E-mail once only: the notifications service killed between the SMTP server's answer and
its own record of it, then started again, sends no second copy.

The service is started with a test-only hold between the server's answer and `sent`, so the
kill lands exactly in that window; Mailpit's HTTP API counts what the citizen received.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from hoso_common.events import DossierStatusChanged, cloudevent_headers, new_envelope
from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.mailbox import Mailbox

from .driver import stack

pytestmark = pytest.mark.faults

NOTIFICATIONS = "/api/notifications/v1/notifications"


async def publish_twice(endpoints: Endpoints, envelope: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(
                envelope.data.topic,
                json.dumps(envelope.model_dump(mode="json")).encode(),
                key=envelope.data.partition_key().encode(),
                headers=[(k, v.encode()) for k, v in cloudevent_headers(envelope).items()],
            )
    finally:
        await producer.stop()


async def email_state(gateway: httpx.AsyncClient, user: TestUser) -> str | None:
    response = await gateway.get(NOTIFICATIONS, headers=user.headers)
    if response.status_code != 200:
        return None  # the service is starting again
    items = response.json()["items"]
    return str(items[0]["email"]) if items else None


async def test_killed_after_the_server_took_the_mail_it_is_never_sent_again(
    gateway: httpx.AsyncClient, endpoints: Endpoints, idp: IdpClient
) -> None:
    citizen = await idp.citizen("Lê Thị Một Lần")
    mailbox = Mailbox(f"{endpoints.gateway_url}/mail")
    stack("stop", "notifications")
    stack(
        "start",
        "notifications",
        env={
            "HOSO_NOTIFICATIONS_HOLD_AFTER_SEND_S": "120",
            "HOSO_NOTIFICATIONS_DELIVERY_LEASE_S": "5",
        },
    )
    try:
        event = new_envelope(
            DossierStatusChanged(
                dossier_id=uuid.uuid4().hex[:24],
                receipt_code="STP-HNI-261130-000777",
                from_status=1,
                to_status=2,
                actor="officer",
                owner_id=citizen.sub,
                changed_at=datetime.now(UTC),
            ),
            source="/hoso/submission",
        )
        # delivered twice as well: the restarted consumer may read it again too
        await publish_twice(endpoints, event)
        await mailbox.wait_for(citizen.email, 1, timeout_s=90)
        assert await email_state(gateway, citizen) == "sending"
        stack("kill", "notifications")
    finally:
        stack("start", "notifications")

    for _ in range(120):
        if await email_state(gateway, citizen) == "uncertain":
            break
        await asyncio.sleep(0.5)
    assert await email_state(gateway, citizen) == "uncertain"
    await asyncio.sleep(5)
    mails = await mailbox.messages(citizen.email)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    response = await gateway.get(NOTIFICATIONS, headers=citizen.headers)
    assert response.json()["total"] == 1
