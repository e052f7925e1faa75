"""The portal's MongoDB store against the real server: the session purge.

Notices are the notifications service's (services/notifications/tests/integration).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hoso_portal.sessions import MongoSessionStore, PendingLogin, Session, utcnow
from hoso_testing.endpoints import Endpoints

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
