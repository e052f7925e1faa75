"""The use cases: store what an event means for each person, read and mark notifications, and
deliver the queued messages at most once each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from hoso_common.background import cancel_and_wait
from hoso_common.events import Envelope, NotificationCreated
from hoso_common.faults import is_transient
from hoso_notifications.directory import Directory, Profile
from hoso_notifications.domain.delivery import (
    DeliveryDeferred,
    DeliveryRefused,
    DeliveryUncertain,
    LeaseLost,
    backoff_s,
)
from hoso_notifications.domain.notification import (
    Channel,
    Notification,
    compose,
    message_id,
    plan,
)
from hoso_notifications.errors import NotificationNotFound
from hoso_notifications.repository import Document, NotificationStore, from_document
from hoso_notifications.sms import SmsSender
from hoso_notifications.smtp import build_email

logger = logging.getLogger(__name__)

Announce = Callable[[NotificationCreated], Awaitable[None]]
Commit = Callable[[], Awaitable[None]]
# Sends one notification's message to the person; False when they have no address for it.
Send = Callable[[Notification, Profile, Commit], Awaitable[bool]]


def _now() -> datetime:
    return datetime.now(UTC)


class Mailer(Protocol):
    async def send(self, message: Any, *, commit: Commit) -> None: ...


@dataclass
class NotificationService:
    """Turns events into stored notifications and answers the person's own reads."""

    store: NotificationStore
    announce: Announce
    channels: tuple[Channel, ...] = ()
    nudge: Callable[[], None] = lambda: None

    async def record(self, envelope: Envelope[Any]) -> list[Notification]:
        """Store the event's notifications; a redelivered event stores and queues nothing."""
        planned = plan(envelope, channels=self.channels)
        for notification in planned:
            inserted = await self.store.insert(notification, _now())
            if inserted and notification.channels:
                self.nudge()
            # Announced on every delivery: a process that died after the insert and before
            # the announcement announces it on the redelivery. The portal's badge only shows it.
            await self.announce(
                NotificationCreated(
                    notification_id=notification.id,
                    recipient=notification.recipient,
                    kind=notification.kind,
                    subject_id=notification.subject_id,
                    unread=await self.store.unread(notification.recipient),
                )
            )
        return planned

    async def page(
        self, recipient: str, *, page: int, size: int
    ) -> tuple[list[tuple[Notification, Document]], int, int]:
        items, total = await self.store.page(recipient, page=page, size=size)
        return items, total, await self.store.unread(recipient)

    async def unread(self, recipient: str) -> int:
        return await self.store.unread(recipient)

    async def mark_read(self, recipient: str, notification_id: str | None = None) -> int:
        if notification_id is not None and not await self.store.exists(recipient, notification_id):
            raise NotificationNotFound()
        return await self.store.mark_read(recipient, notification_id)


@dataclass
class Delivery:
    """One channel's sender loop: claim a due message, send it, settle it.

    At most once per message: `commit` is stored before the transport's irreversible step,
    and a committed message is never handed to a transport again (see domain/delivery.py).
    Retried for as long as the server is away, with a doubling wait up to `max_backoff_s`.
    """

    channel: Channel
    store: NotificationStore
    directory: Directory
    send: Send
    lease_s: float = 60
    poll_s: float = 2
    backoff_base_s: float = 2
    max_backoff_s: float = 300
    hold_after_send_s: float = 0
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def nudge(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"delivery-{self.channel}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                level = logging.WARNING if is_transient(error) else logging.ERROR
                logger.log(level, "delivery pass failed: %r", error, exc_info=True)
                busy = False
            if not busy:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)

    async def run_once(self) -> bool:
        """Settle abandoned messages, then deliver one due message; False when none was due."""
        now = _now()
        for notification_id in await self.store.settle_abandoned(self.channel, now):
            logger.error(
                "message left uncertain: its sender stopped after handing it over",
                extra={"channel": self.channel, "notification_id": notification_id},
            )
        raw = await self.store.claim(
            self.channel, owner=self.owner, now=now, lease=timedelta(seconds=self.lease_s)
        )
        if raw is None:
            return False
        await self.deliver(from_document(raw), int(raw[self.channel].get("attempts", 1)))
        return True

    async def deliver(self, notification: Notification, attempts: int) -> None:
        channel, nid, owner = self.channel, notification.id, self.owner

        async def commit() -> None:
            if not await self.store.commit(channel, nid, owner):
                raise LeaseLost(nid)

        try:
            profile = await self.directory.profile(notification.recipient)
            if profile is None:
                await self.store.settle(channel, nid, owner, "skipped", reason="no_such_user")
                return
            sent = await self.send(notification, profile, commit)
            if not sent:
                await self.store.settle(channel, nid, owner, "skipped", reason="no_address")
                return
        except LeaseLost:
            logger.warning("message taken over by another sender", extra={"notification_id": nid})
            return
        except DeliveryRefused as error:
            logger.error(
                "message refused",
                extra={"channel": channel, "notification_id": nid, "error": str(error)},
            )
            await self.store.settle(channel, nid, owner, "failed", error=str(error)[:300])
            return
        except DeliveryUncertain as error:
            logger.error(
                "message may have been delivered; not sent again",
                extra={"channel": channel, "notification_id": nid, "error": str(error)},
            )
            await self.store.settle(channel, nid, owner, "uncertain", error=str(error)[:300])
            return
        except Exception as error:
            if not (isinstance(error, DeliveryDeferred) or is_transient(error)):
                raise
            wait = backoff_s(attempts, base_s=self.backoff_base_s, max_s=self.max_backoff_s)
            logger.warning(
                "message deferred",
                extra={
                    "channel": channel,
                    "notification_id": nid,
                    "attempt": attempts,
                    "retry_in_s": wait,
                    "error": str(error) or repr(error),
                },
            )
            await self.store.defer(
                channel,
                nid,
                owner,
                next_at=_now() + timedelta(seconds=wait),
                error=str(error) or repr(error),
            )
            return
        if self.hold_after_send_s:
            await asyncio.sleep(self.hold_after_send_s)
        await self.store.settle(channel, nid, owner, "sent", sent_at=_now())
        logger.info("message sent", extra={"channel": channel, "notification_id": nid})


def email_sender(mailer: Mailer, *, sender: str, domain: str, portal_url: str) -> Send:
    async def send(notification: Notification, profile: Profile, commit: Commit) -> bool:
        if not profile.email or notification.message is None:
            return False
        link = portal_url.rstrip("/") + notification.link if notification.link else None
        email = build_email(
            sender=sender,
            to=profile.email,
            subject=notification.message.subject,
            text=compose(notification.message, profile.name, link),
            message_id=message_id(notification.id, "email", domain),
        )
        await mailer.send(email, commit=commit)
        return True

    return send


def sms_sender(gateway: SmsSender, *, domain: str) -> Send:
    async def send(notification: Notification, profile: Profile, commit: Commit) -> bool:
        if not profile.phone or notification.message is None:
            return False
        await gateway.send(
            phone=profile.phone,
            text=notification.message.sms,
            message_id=message_id(notification.id, "sms", domain),
            commit=commit,
        )
        return True

    return send
