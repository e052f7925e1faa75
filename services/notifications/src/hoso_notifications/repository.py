"""Every MongoDB query of the notifications service.

A notification and its pending messages are one document: storing it is one insert, keyed by
the notification id (the event and the person), so a redelivered event inserts nothing and
can never queue a second message. Each message's state lives in a sub-document named after
its channel (`email`, `sms`), changed only by conditional updates from an expected state.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hoso_common.clock import utc_now
from hoso_notifications.domain.delivery import STATES, State
from hoso_notifications.domain.notification import Channel, Message, Notification

COLLECTION = "notifications"
Document = dict[str, Any]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_document(notification: Notification, now: datetime) -> Document:
    raw = asdict(notification)
    raw["_id"] = raw.pop("id")
    raw.pop("channels")
    for channel in notification.channels:
        raw[channel] = {"state": "pending", "attempts": 0, "next_at": now}
    return raw


def from_document(raw: Document) -> Notification:
    message = raw.get("message")
    return Notification(
        id=raw["_id"],
        recipient=raw["recipient"],
        kind=raw["kind"],
        title=raw["title"],
        body=raw["body"],
        link=raw.get("link"),
        subject_id=raw["subject_id"],
        event_id=raw["event_id"],
        event_type=raw["event_type"],
        created_at=_aware(raw["created_at"]),
        read=bool(raw.get("read")),
        message=Message(**message) if message else None,
        channels=tuple(c for c in ("email", "sms") if c in raw),
    )


class NotificationStore(Protocol):
    """What the use cases need from storage (MongoDB here, a dict in the unit tests)."""

    async def insert(self, notification: Notification, now: datetime) -> bool: ...
    async def page(
        self, recipient: str, *, page: int, size: int
    ) -> tuple[list[tuple[Notification, Document]], int]: ...
    async def unread(self, recipient: str) -> int: ...
    async def mark_read(self, recipient: str, notification_id: str | None) -> int: ...
    async def exists(self, recipient: str, notification_id: str) -> bool: ...
    async def claim(
        self, channel: Channel, *, owner: str, now: datetime, lease: timedelta
    ) -> Document | None: ...
    async def commit(self, channel: Channel, notification_id: str, owner: str) -> bool: ...
    async def settle(
        self, channel: Channel, notification_id: str, owner: str, state: State, **fields: Any
    ) -> bool: ...
    async def defer(
        self, channel: Channel, notification_id: str, owner: str, *, next_at: datetime, error: str
    ) -> bool: ...
    async def settle_abandoned(self, channel: Channel, now: datetime) -> list[str]: ...


class MongoNotificationStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[COLLECTION]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("recipient", 1), ("created_at", -1)])
        await self.collection.create_index([("recipient", 1), ("read", 1)])
        for channel in ("email", "sms"):
            await self.collection.create_index(
                [(f"{channel}.state", 1), (f"{channel}.next_at", 1)], sparse=True
            )

    async def insert(self, notification: Notification, now: datetime) -> bool:
        try:
            await self.collection.insert_one(to_document(notification, now))
        except DuplicateKeyError:
            return False
        return True

    async def page(
        self, recipient: str, *, page: int, size: int
    ) -> tuple[list[tuple[Notification, Document]], int]:
        total = await self.collection.count_documents({"recipient": recipient})
        cursor = (
            self.collection.find({"recipient": recipient})
            .sort([("created_at", -1), ("_id", -1)])
            .skip((page - 1) * size)
            .limit(size)
        )
        return [(from_document(raw), raw) async for raw in cursor], total

    async def unread(self, recipient: str) -> int:
        return await self.collection.count_documents({"recipient": recipient, "read": False})

    async def mark_read(self, recipient: str, notification_id: str | None) -> int:
        # the recipient is part of every filter: nobody marks another person's notifications
        query: Document = {"recipient": recipient, "read": False}
        if notification_id is not None:
            query["_id"] = notification_id
        result = await self.collection.update_many(query, {"$set": {"read": True}})
        return result.modified_count

    async def exists(self, recipient: str, notification_id: str) -> bool:
        found = await self.collection.count_documents(
            {"_id": notification_id, "recipient": recipient}, limit=1
        )
        return found > 0

    async def claim(
        self, channel: Channel, *, owner: str, now: datetime, lease: timedelta
    ) -> Document | None:
        """The next due message of the channel, leased to `owner`; None when nothing is due."""
        due = {
            "$or": [
                {f"{channel}.state": "pending", f"{channel}.next_at": {"$lte": now}},
                # its claimer died before it committed: nothing went out, take it over
                {f"{channel}.state": "claimed", f"{channel}.lease_until": {"$lte": now}},
            ]
        }
        raw: Document | None = await self.collection.find_one_and_update(
            due,
            {
                "$set": {
                    f"{channel}.state": "claimed",
                    f"{channel}.owner": owner,
                    f"{channel}.lease_until": now + lease,
                },
                "$inc": {f"{channel}.attempts": 1},
            },
            sort=[(f"{channel}.next_at", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return raw

    async def commit(self, channel: Channel, notification_id: str, owner: str) -> bool:
        """The point of no return: after this the message is never handed out again."""
        result = await self.collection.update_one(
            {"_id": notification_id, f"{channel}.state": "claimed", f"{channel}.owner": owner},
            {"$set": {f"{channel}.state": "sending", f"{channel}.committed_at": utc_now()}},
        )
        return result.modified_count == 1

    async def settle(
        self, channel: Channel, notification_id: str, owner: str, state: State, **fields: Any
    ) -> bool:
        result = await self.collection.update_one(
            {
                "_id": notification_id,
                f"{channel}.state": {"$in": ["claimed", "sending"]},
                f"{channel}.owner": owner,
            },
            {
                "$set": {
                    f"{channel}.state": state,
                    f"{channel}.settled_at": utc_now(),
                    **{f"{channel}.{key}": value for key, value in fields.items()},
                },
                "$unset": {f"{channel}.lease_until": ""},
            },
        )
        return result.modified_count == 1

    async def defer(
        self, channel: Channel, notification_id: str, owner: str, *, next_at: datetime, error: str
    ) -> bool:
        result = await self.collection.update_one(
            {
                "_id": notification_id,
                f"{channel}.state": {"$in": ["claimed", "sending"]},
                f"{channel}.owner": owner,
            },
            {
                "$set": {
                    f"{channel}.state": "pending",
                    f"{channel}.next_at": next_at,
                    f"{channel}.last_error": error[:300],
                },
                "$unset": {f"{channel}.lease_until": "", f"{channel}.owner": ""},
            },
        )
        return result.modified_count == 1

    async def settle_abandoned(self, channel: Channel, now: datetime) -> list[str]:
        """Committed messages whose sender died before `sent`: uncertain, never resent."""
        settled = []
        stale = {f"{channel}.state": "sending", f"{channel}.lease_until": {"$lte": now}}
        async for raw in self.collection.find(stale, {"_id": 1}):
            result = await self.collection.update_one(
                {"_id": raw["_id"], **stale},
                {"$set": {f"{channel}.state": "uncertain", f"{channel}.settled_at": now}},
            )
            if result.modified_count:
                settled.append(str(raw["_id"]))
        return settled

    async def count_by_state(self, channel: Channel) -> dict[str, int]:
        return {
            state: await self.collection.count_documents({f"{channel}.state": state})
            for state in STATES
        }
