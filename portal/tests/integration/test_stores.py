"""The portal's MongoDB stores against the real server: notices per citizen, session purge."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hoso_common.testing.endpoints import Endpoints
from hoso_portal.notices import MongoNoticeStore, Notice
from hoso_portal.sessions import MongoSessionStore, PendingLogin, Session, utcnow

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def db(endpoints: Endpoints) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongo_url)
    name = f"hoso_portal_test_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


def notice(notice_id: str, sub: str, minutes_ago: int) -> Notice:
    return Notice(
        id=notice_id,
        sub=sub,
        kind="signing",
        title=f"Thông báo {notice_id}",
        body="",
        link=None,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
    )


async def test_notices_are_kept_once_per_id_newest_first_and_per_citizen(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    store = MongoNoticeStore(db)
    await store.create_indexes()
    assert await store.add(notice("a", "me", 3))
    assert not await store.add(notice("a", "me", 3))  # a redelivered event
    await store.add(notice("b", "me", 1))
    await store.add(notice("c", "someone-else", 0))
    items, total = await store.page("me", page=1, size=10)
    assert [n.id for n in items] == ["b", "a"] and total == 2
    assert await store.unread("me") == 2
    await store.mark_read("someone-else")
    assert await store.unread("me") == 2
    await store.mark_read("me", "a")
    assert await store.unread("me") == 1


async def test_ended_sessions_and_logins_are_purged(db: AsyncDatabase[dict[str, Any]]) -> None:
    store = MongoSessionStore(db)
    await store.create_indexes()
    now = utcnow()

    def session(expires_in: timedelta) -> Session:
        return Session(
            sub="me",
            name="Nguyễn Văn An",
            csrf="x",
            access_token="t",
            access_expires_at=now,
            refresh_token=None,
            id_token=None,
            expires_at=now + expires_in,
        )

    ended = await store.create(session(timedelta(seconds=-1)))
    alive = await store.create(session(timedelta(hours=1)))
    await store.start_login(PendingLogin("s", "n", "v", "/", now - timedelta(seconds=1)))
    assert await store.purge_expired() == 2
    assert await store.get(alive) is not None
    assert await store.get(ended) is None
    assert await store.sessions.count_documents({}) == 1
