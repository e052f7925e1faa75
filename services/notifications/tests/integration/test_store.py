"""The notification store against the real MongoDB wire server (FerretDB locally)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hoso_notifications.domain.notification import Message, Notification, notification_id
from hoso_notifications.repository import MongoNotificationStore
from hoso_testing.endpoints import Endpoints

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def store(endpoints: Endpoints) -> AsyncIterator[MongoNotificationStore]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongo_url, tz_aware=True)
    name = f"hoso_notifications_test_{uuid.uuid4().hex[:8]}"
    db: AsyncDatabase[dict[str, Any]] = client[name]
    try:
        made = MongoNotificationStore(db)
        await made.create_indexes()
        yield made
    finally:
        await client.drop_database(name)
        await client.close()


def made(event: str, recipient: str, minutes_ago: int, emailed: bool = False) -> Notification:
    return Notification(
        id=notification_id(event, recipient),
        recipient=recipient,
        kind="dossier",
        title=f"Thông báo {event}",
        body="",
        link=None,
        subject_id="d1",
        event_id=event,
        event_type="t",
        created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        message=Message(subject="s", text="t", sms="m") if emailed else None,
        channels=("email",) if emailed else (),
    )


async def test_one_per_event_and_person_newest_first_and_each_their_own(
    store: MongoNotificationStore,
) -> None:
    now = datetime.now(UTC)
    assert await store.insert(made("a", "me", 3), now)
    assert not await store.insert(made("a", "me", 3), now)  # a redelivered event
    assert await store.insert(made("a", "you", 3), now)  # the same event, another person
    await store.insert(made("b", "me", 1), now)
    items, total = await store.page("me", page=1, size=10)
    assert [n.event_id for n, _ in items] == ["b", "a"] and total == 2
    assert await store.unread("me") == 2
    assert await store.mark_read("you", None) == 1
    assert await store.unread("me") == 2
    assert not await store.exists("you", items[0][0].id)
    assert await store.mark_read("me", items[1][0].id) == 1
    assert await store.unread("me") == 1


async def test_a_message_is_claimed_by_one_sender_committed_once_and_settled(
    store: MongoNotificationStore,
) -> None:
    now = datetime.now(UTC)
    await store.insert(made("c", "me", 0, emailed=True), now)
    lease = timedelta(seconds=30)
    first = await store.claim("email", owner="one", now=now, lease=lease)
    assert first is not None and first["email"]["attempts"] == 1
    assert await store.claim("email", owner="two", now=now, lease=lease) is None
    assert not await store.commit("email", first["_id"], "two")
    assert await store.commit("email", first["_id"], "one")
    assert not await store.commit("email", first["_id"], "one")
    # a committed message is not handed out again, even once its lease is over
    later = now + timedelta(minutes=5)
    assert await store.claim("email", owner="two", now=later, lease=lease) is None
    assert await store.settle_abandoned("email", later) == [first["_id"]]
    assert await store.count_by_state("email") == {
        "pending": 0,
        "claimed": 0,
        "sending": 0,
        "sent": 0,
        "failed": 0,
        "uncertain": 1,
        "skipped": 0,
    }


async def test_a_deferred_message_waits_and_an_abandoned_claim_is_taken_over(
    store: MongoNotificationStore,
) -> None:
    now = datetime.now(UTC)
    await store.insert(made("d", "me", 0, emailed=True), now)
    lease = timedelta(seconds=30)
    claimed = await store.claim("email", owner="one", now=now, lease=lease)
    assert claimed is not None
    retry_at = now + timedelta(seconds=10)
    assert await store.defer("email", claimed["_id"], "one", next_at=retry_at, error="down")
    assert await store.claim("email", owner="one", now=now, lease=lease) is None
    again = await store.claim("email", owner="one", now=retry_at, lease=lease)
    assert again is not None and again["email"]["attempts"] == 2
    # its sender died before committing: after the lease another takes it over
    taken = await store.claim("email", owner="two", now=retry_at + lease, lease=lease)
    assert taken is not None and taken["email"]["owner"] == "two"
    assert await store.commit("email", taken["_id"], "two")
    assert await store.settle("email", taken["_id"], "two", "sent", sent_at=now)
