"""Live notices: the notifications service's `NotificationCreated`, pushed to open pages.

The notifications service stores each person's notifications and announces each one on
`hoso.notifications.created`. Every portal replica reads that topic in a consumer group of its
own (`live_group_prefix` + the replica's id), so that each replica sees every announcement
and pushes it to the people whose pages are open on that replica. It starts from the latest
offset: a page that was not open missed nothing it cannot re-read, since on every
(re)connection the page asks the APIs again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_common.events import Envelope, NotificationCreated

logger = logging.getLogger(__name__)

# A slow page must not hold a replica's memory: past this many waiting events it is dropped,
# and its browser reconnects and re-reads the state from the APIs.
QUEUE_SIZE = 64


@dataclass(frozen=True)
class LiveEvent:
    """One message for one citizen's open pages: an SSE event name and its data."""

    name: str
    data: str


class LiveHub:
    """The open SSE streams of this replica, by citizen (OIDC subject)."""

    def __init__(self) -> None:
        self._streams: dict[str, set[asyncio.Queue[LiveEvent | None]]] = defaultdict(set)

    def connections(self, sub: str) -> int:
        return len(self._streams.get(sub, ()))

    def publish(self, sub: str, event: LiveEvent) -> int:
        """Hand the event to every open page of this citizen, and of no one else."""
        delivered = 0
        for queue in list(self._streams.get(sub, ())):
            try:
                queue.put_nowait(event)
                delivered += 1
            except asyncio.QueueFull:
                logger.warning("live stream too slow, closing it")
                self._drop(sub, queue)
                queue.get_nowait()
                queue.put_nowait(None)
        return delivered

    def _drop(self, sub: str, queue: asyncio.Queue[LiveEvent | None]) -> None:
        streams = self._streams.get(sub)
        if streams is not None:
            streams.discard(queue)
            if not streams:
                del self._streams[sub]

    @asynccontextmanager
    async def subscribe(self, sub: str) -> AsyncIterator[asyncio.Queue[LiveEvent | None]]:
        queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(QUEUE_SIZE)
        self._streams[sub].add(queue)
        try:
            yield queue
        finally:
            self._drop(sub, queue)


def sse(event: LiveEvent) -> bytes:
    """One Server-Sent Event; data lines are split so a newline cannot end it early."""
    lines = [f"event: {event.name}"] + [f"data: {line}" for line in event.data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


class NoticeFeed:
    """Pushes a stored notification to its person's open pages: what it is about, and the badge."""

    def __init__(self, hub: LiveHub, badge: Callable[[int], str]) -> None:
        self.hub = hub
        self.badge = badge

    def push(self, created: NotificationCreated) -> None:
        if not self.hub.connections(created.recipient):
            return
        self.hub.publish(created.recipient, LiveEvent(created.kind, created.subject_id))
        self.hub.publish(created.recipient, LiveEvent("badge", self.badge(created.unread)))


def register_subscribers(broker: KafkaBroker, feed: NoticeFeed, *, live_group: str) -> None:
    @broker.subscriber(
        topics.NOTIFICATION_CREATED,
        group_id=live_group,
        auto_offset_reset="latest",
        # a push that fails is not retried: the page re-reads the APIs when it reconnects
        ack_policy=AckPolicy.ACK,
    )
    async def push_notice(envelope: Envelope[NotificationCreated]) -> None:
        """Push a new notification to its person's pages open on this replica."""
        feed.push(envelope.data)
