"""Live notices: platform events from Kafka, stored per citizen and pushed to their open pages.

Two consumer groups read the same topics:

* `notices_group`, shared by every replica, stores each event's notice once (at least once,
  deduplicated by the notice id), so a notice is kept even while no replica has the citizen
  connected, or while every replica restarts;
* `live_group_prefix` + the replica's id, one group per replica, so that every replica sees
  every event and can push it to the citizens whose pages are open on that replica. It starts
  from the latest offset: a page that was not open missed nothing it cannot re-read, since on
  every (re)connection the page asks the APIs again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from hoso_common import topics
from hoso_portal.notices import Notice, NoticeStore, notice_from_event

logger = logging.getLogger(__name__)

NOTICE_TOPICS = (topics.SIGN_COMPLETED, topics.DOSSIER_SUBMITTED, topics.DOSSIER_STATUS_CHANGED)
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
    """Turns an event into a stored notice and a push to its citizen's open pages."""

    def __init__(
        self,
        store: NoticeStore,
        hub: LiveHub,
        badge: Callable[[int], str],
    ) -> None:
        self.store = store
        self.hub = hub
        self.badge = badge

    async def store_event(self, envelope: dict[str, Any]) -> Notice | None:
        notice = notice_from_event(envelope)
        if notice is not None:
            await self.store.add(notice)
        return notice

    async def push_event(self, envelope: dict[str, Any]) -> None:
        # Stored here as well (a no-op when the shared group came first), so the badge count
        # sent with the push already includes this notice.
        notice = await self.store_event(envelope)
        if notice is None or not self.hub.connections(notice.sub):
            return
        self.hub.publish(notice.sub, LiveEvent(notice.kind, notice.subject_id or ""))
        unread = await self.store.unread(notice.sub)
        self.hub.publish(notice.sub, LiveEvent("badge", self.badge(unread)))


def register_subscribers(
    broker: KafkaBroker, feed: NoticeFeed, *, notices_group: str, live_group: str
) -> None:
    @broker.subscriber(
        *NOTICE_TOPICS,
        group_id=notices_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def store_notice(envelope: dict[str, Any]) -> None:
        """Keep the notice an event means for its citizen (idempotent on the notice id)."""
        await feed.store_event(envelope)

    @broker.subscriber(
        *NOTICE_TOPICS,
        group_id=live_group,
        auto_offset_reset="latest",
        # a push that fails is not retried: the page re-reads the APIs when it reconnects
        ack_policy=AckPolicy.ACK,
    )
    async def push_notice(envelope: dict[str, Any]) -> None:
        """Push the event to its citizen's pages open on this replica."""
        await feed.push_event(envelope)
