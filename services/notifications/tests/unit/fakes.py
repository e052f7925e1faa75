"""In-memory stand-ins for the notification store, the IdP's directory and the transports."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from hoso_common.errors import ServiceUnavailable
from hoso_notifications.directory import Profile
from hoso_notifications.domain.delivery import DeliveryDeferred, State
from hoso_notifications.domain.notification import Channel, Notification
from hoso_notifications.repository import Document, from_document, to_document


class FakeStore:
    """The Mongo store's rules on a dict: insert once per id, conditional state changes."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}

    async def insert(self, notification: Notification, now: datetime) -> bool:
        if notification.id in self.docs:
            return False
        self.docs[notification.id] = to_document(notification, now)
        return True

    async def page(
        self, recipient: str, *, page: int, size: int
    ) -> tuple[list[tuple[Notification, Document]], int]:
        mine = sorted(
            (d for d in self.docs.values() if d["recipient"] == recipient),
            key=lambda d: (d["created_at"], d["_id"]),
            reverse=True,
        )
        chosen = mine[(page - 1) * size : page * size]
        return [(from_document(d), copy.deepcopy(d)) for d in chosen], len(mine)

    async def unread(self, recipient: str) -> int:
        return sum(1 for d in self.docs.values() if d["recipient"] == recipient and not d["read"])

    async def mark_read(self, recipient: str, notification_id: str | None) -> int:
        marked = 0
        for doc in self.docs.values():
            if doc["recipient"] == recipient and notification_id in (None, doc["_id"]):
                marked += not doc["read"]
                doc["read"] = True
        return marked

    async def exists(self, recipient: str, notification_id: str) -> bool:
        doc = self.docs.get(notification_id)
        return doc is not None and doc["recipient"] == recipient

    async def claim(
        self, channel: Channel, *, owner: str, now: datetime, lease: timedelta
    ) -> Document | None:
        due = [
            d
            for d in self.docs.values()
            if channel in d
            and (
                (d[channel]["state"] == "pending" and d[channel]["next_at"] <= now)
                or (d[channel]["state"] == "claimed" and d[channel]["lease_until"] <= now)
            )
        ]
        if not due:
            return None
        doc = min(due, key=lambda d: d[channel]["next_at"])
        job = doc[channel]
        job.update(state="claimed", owner=owner, lease_until=now + lease)
        job["attempts"] = job.get("attempts", 0) + 1
        return copy.deepcopy(doc)

    async def commit(self, channel: Channel, notification_id: str, owner: str) -> bool:
        job = self.docs[notification_id][channel]
        if job["state"] != "claimed" or job.get("owner") != owner:
            return False
        job["state"] = "sending"
        return True

    async def settle(
        self, channel: Channel, notification_id: str, owner: str, state: State, **fields: Any
    ) -> bool:
        job = self.docs[notification_id][channel]
        if job["state"] not in ("claimed", "sending") or job.get("owner") != owner:
            return False
        job.update(state=state, **fields)
        return True

    async def defer(
        self, channel: Channel, notification_id: str, owner: str, *, next_at: datetime, error: str
    ) -> bool:
        job = self.docs[notification_id][channel]
        if job["state"] not in ("claimed", "sending") or job.get("owner") != owner:
            return False
        job.update(state="pending", next_at=next_at, last_error=error)
        job.pop("owner", None)
        return True

    async def settle_abandoned(self, channel: Channel, now: datetime) -> list[str]:
        settled = []
        for doc in self.docs.values():
            job = doc.get(channel)
            if job and job["state"] == "sending" and job["lease_until"] <= now:
                job["state"] = "uncertain"
                settled.append(doc["_id"])
        return settled

    def states(self, channel: Channel) -> list[str]:
        return [d[channel]["state"] for d in self.docs.values() if channel in d]


class FakeDirectory:
    def __init__(self, profiles: dict[str, Profile] | None = None) -> None:
        self.profiles = profiles or {}
        self.down = False

    async def profile(self, sub: str) -> Profile | None:
        if self.down:
            raise ServiceUnavailable("idp away")
        return self.profiles.get(sub)


class FakeMailer:
    """An SMTP server in memory: `down` refuses connections, `die_after_data` loses the sender."""

    def __init__(self) -> None:
        self.delivered: list[Any] = []
        self.down = False
        self.commits = 0

    async def send(self, message: Any, *, commit: Any) -> None:
        if self.down:
            raise DeliveryDeferred("connection refused")
        await commit()
        self.commits += 1
        self.delivered.append(message)
