"""Server-side sessions and pending logins in MongoDB; the browser holds only an opaque id."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from hoso_common.clock import utc_now
from hoso_portal.security import new_token, token_hash

logger = logging.getLogger(__name__)

SESSIONS = "portal_sessions"
LOGINS = "portal_logins"


# The platform's one clock, under the name the portal's modules import.
utcnow = utc_now


@dataclass
class Session:
    """One logged-in browser: the user's tokens stay here, on the server."""

    sub: str
    name: str
    csrf: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None
    id_token: str | None
    expires_at: datetime
    created_at: datetime = field(default_factory=utcnow)
    refresh_expires_at: datetime | None = None
    # From the ID token at login: which pages to offer. The services decide on the access token.
    roles: list[str] = field(default_factory=list)
    agency: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def access_valid(self, now: datetime, margin_s: float = 15) -> bool:
        return self.access_expires_at - timedelta(seconds=margin_s) > now


@dataclass
class PendingLogin:
    """An authorization request on its way through the IdP, bound to the browser's cookie."""

    state: str
    nonce: str
    code_verifier: str
    next_url: str
    expires_at: datetime


class SessionStore(Protocol):
    async def create(self, session: Session) -> str: ...
    async def get(self, session_id: str) -> Session | None: ...
    async def update_tokens(self, session_id: str, session: Session) -> None: ...
    async def delete(self, session_id: str) -> None: ...
    async def start_login(self, login: PendingLogin) -> str: ...
    async def take_login(self, login_id: str) -> PendingLogin | None: ...


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _fields(raw: dict[str, Any]) -> dict[str, Any]:
    """A stored record's fields without its key, its times in UTC."""
    return {k: _aware(v) for k, v in raw.items() if k != "_id"}


async def _insert_new(
    collection: AsyncCollection[dict[str, Any]], record: Session | PendingLogin
) -> str:
    """Store `record` under a new id and return that id; only its hash is the key."""
    record_id = new_token()
    await collection.insert_one({"_id": token_hash(record_id), **asdict(record)})
    return record_id


class MongoSessionStore:
    """Both collections are keyed by the SHA-256 of the id the browser holds."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.sessions = db[SESSIONS]
        self.logins = db[LOGINS]

    async def create_indexes(self) -> None:
        for collection in (self.sessions, self.logins):
            try:
                await collection.create_index("expires_at", expireAfterSeconds=0)
            except PyMongoError as error:
                # Expiry is checked on every read as well; the index only reclaims space.
                logger.warning("no TTL index on %s: %r", collection.name, error)

    async def purge_expired(self) -> int:
        """Delete ended sessions and logins: for servers that accept TTL indexes but ignore them."""
        now = utcnow()
        deleted = 0
        for collection in (self.sessions, self.logins):
            result = await collection.delete_many({"expires_at": {"$lte": now}})
            deleted += result.deleted_count
        return deleted

    async def purge_forever(self, interval_s: float) -> None:
        while True:
            try:
                deleted = await self.purge_expired()
                if deleted:
                    logger.info("purged %d expired sessions and logins", deleted)
            except PyMongoError as error:
                logger.warning("session purge failed, will retry: %r", error)
            await asyncio.sleep(interval_s)

    async def create(self, session: Session) -> str:
        return await _insert_new(self.sessions, session)

    async def get(self, session_id: str) -> Session | None:
        raw = await self.sessions.find_one({"_id": token_hash(session_id)})
        if raw is None:
            return None
        session = Session(**_fields(raw))
        if session.expires_at <= utcnow():
            await self.delete(session_id)
            return None
        return session

    async def update_tokens(self, session_id: str, session: Session) -> None:
        await self.sessions.update_one(
            {"_id": token_hash(session_id)},
            {
                "$set": {
                    "access_token": session.access_token,
                    "access_expires_at": session.access_expires_at,
                    "refresh_token": session.refresh_token,
                    "refresh_expires_at": session.refresh_expires_at,
                    "id_token": session.id_token,
                }
            },
        )

    async def delete(self, session_id: str) -> None:
        await self.sessions.delete_one({"_id": token_hash(session_id)})

    async def start_login(self, login: PendingLogin) -> str:
        return await _insert_new(self.logins, login)

    async def take_login(self, login_id: str) -> PendingLogin | None:
        # find_one_and_delete: a callback replayed with the same cookie finds nothing.
        raw = await self.logins.find_one_and_delete({"_id": token_hash(login_id)})
        if raw is None:
            return None
        login = PendingLogin(**_fields(raw))
        return login if login.expires_at > utcnow() else None
