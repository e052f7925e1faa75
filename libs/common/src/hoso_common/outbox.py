"""Transactional outbox kept inside each aggregate document, and the relay that drains it.

A state change and the events it announces are written by one single-document update
(`$set` + `$push: {outbox: ...}`), which MongoDB and FerretDB both apply atomically. The
relay publishes each pending entry and then removes exactly that entry, so a crash in
between publishes it again (at least once) and never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from opentelemetry import propagate
from pymongo.asynchronous.collection import AsyncCollection

from hoso_common.background import cancel_and_wait
from hoso_common.events import Envelope, EventData, cloudevent_headers, new_envelope
from hoso_common.metrics import Sample, SampleFn, Sampler

logger = logging.getLogger(__name__)

OUTBOX_FIELD = "outbox"
LEASE_FIELD = "outbox_lease_until"


def outbox_entry(envelope: Envelope[Any]) -> dict[str, Any]:
    # The trace context of the request that caused the event is stored with it, so the
    # relay can publish it later as part of that same trace.
    trace_headers: dict[str, str] = {}
    propagate.inject(trace_headers)
    return {
        "id": envelope.id,
        "topic": envelope.data.topic,
        "key": envelope.data.partition_key(),
        "headers": cloudevent_headers(envelope),
        "trace": trace_headers,
        "value": envelope.model_dump(mode="json"),
    }


def outbox_entries(
    *events: EventData, source: str, correlation_id: str | None = None
) -> list[dict[str, Any]]:
    """Entries for the `outbox` field of a document being inserted."""
    return [
        outbox_entry(new_envelope(event, source=source, correlation_id=correlation_id))
        for event in events
    ]


def push_events(
    *events: EventData, source: str, correlation_id: str | None = None
) -> dict[str, Any]:
    """The `$push` clause that stores events with the update that causes them."""
    entries = outbox_entries(*events, source=source, correlation_id=correlation_id)
    return {OUTBOX_FIELD: {"$each": entries}}


def handover_lease(lease_s: float = 30.0) -> dict[str, datetime]:
    """The `$set` fields that reserve a document's new entries for the writer's own relay.

    A writer that hands its document to `OutboxRelay.written` sets this in the same update
    that pushes the events, so no scanning relay (of any replica) claims the entries while
    they are being published. If the writer dies first, the lease runs out and a scan
    publishes them.
    """
    return {LEASE_FIELD: datetime.now(UTC) + timedelta(seconds=lease_s)}


def with_events(
    update: dict[str, Any],
    events: Sequence[EventData],
    *,
    source: str,
    correlation_id: str | None = None,
    handover: bool = False,
) -> dict[str, Any]:
    """`update` extended to store `events` in the document's outbox, atomically with it.

    The one place where repositories add events to a write. `handover=True` is for a writer
    that hands the document it gets back to `OutboxRelay.written`: the same update then takes
    the handover lease (see `handover_lease`), which such a writer must never forget.
    """
    if not events:
        return update
    extended = dict(update)
    extended["$push"] = {
        **update.get("$push", {}),
        **push_events(*events, source=source, correlation_id=correlation_id),
    }
    if handover:
        extended["$set"] = {**update.get("$set", {}), **handover_lease()}
    return extended


class OutboxRelay:
    """Publishes pending outbox entries of the given collections, then removes them.

    A write that pushed events names its document in `nudge(doc_id)`; the relay then drains
    that document at once, by id. A caller that holds the document as written (the result of
    its `find_one_and_update`, which also set `handover_lease()`) hands it over with
    `written(collection, doc)`: its entries are published as they are and removed with one
    `$pullAll`, without claiming the document again. The lease is left to run out.

    A full scan of the collections, which costs a pass over every document, runs only every
    `scan_interval_s` to pick up entries left by a process that died before its relay ran. A
    short lease on each document keeps two scanning replicas from publishing the same entries
    at the same moment, and it keeps them off handed-over documents. Consumers still dedupe:
    a crash between publishing and removing an entry repeats it.
    """

    PUBLISH_CONCURRENCY = 32

    def __init__(
        self,
        broker: KafkaBroker,
        collections: list[AsyncCollection[dict[str, Any]]],
        *,
        scan_interval_s: float = 5.0,
        lease_s: float = 30.0,
        batch: int = 100,
        prefilter_empty: bool = False,
    ) -> None:
        self.broker = broker
        self.prefilter_empty = prefilter_empty
        self.pending = pending_filter(prefilter_empty=prefilter_empty)
        self.collections = collections
        self.scan_interval_s = scan_interval_s
        self.lease = timedelta(seconds=lease_s)
        self.batch = batch
        self._wake = asyncio.Event()
        self._hot: set[Any] = set()
        self._written: list[tuple[AsyncCollection[dict[str, Any]], dict[str, Any]]] = []
        self._scan_requested = True
        self._task: asyncio.Task[None] | None = None

    def nudge(self, doc_id: Any = None) -> None:
        """Drain now: the document `doc_id` if given, otherwise everything pending."""
        if doc_id is None:
            self._scan_requested = True
        else:
            self._hot.add(doc_id)
        self._wake.set()

    def written(self, collection: AsyncCollection[dict[str, Any]], doc: dict[str, Any]) -> None:
        """Publish the outbox entries of a document the caller has just written.

        Only a write that took the handover lease (`with_events(..., handover=True)`) may hand
        its document over: without the lease a scanning replica could publish the same
        entries meanwhile, so such a document is drained by claim instead, like a nudge.
        """
        if not doc.get(OUTBOX_FIELD):
            return
        if doc.get(LEASE_FIELD) is None:
            logger.warning(
                "document handed over without its outbox lease; drained by claim",
                extra={"collection": collection.name},
            )
            self.nudge(doc["_id"])
            return
        self._written.append((collection, doc))
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_scan = loop.time()
        while True:
            try:
                if self._written:
                    written, self._written = self._written, []
                    await self._publish_written(written)
                if self._hot:
                    hot, self._hot = self._hot, set()
                    for collection in self.collections:
                        for doc_id in hot:
                            await self._drain_document(collection, doc_id)
                if self._scan_requested or loop.time() >= next_scan:
                    self._scan_requested = False
                    next_scan = loop.time() + self.scan_interval_s
                    await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox relay pass failed")
            if not self._hot and not self._written and not self._scan_requested:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), timeout=max(next_scan - loop.time(), 0.01)
                    )
            self._wake.clear()

    async def _publish_written(
        self, written: list[tuple[AsyncCollection[dict[str, Any]], dict[str, Any]]]
    ) -> None:
        """Publish handed-over documents side by side; one document's entries stay in order."""
        by_document: dict[tuple[int, Any], list[tuple[AsyncCollection[dict[str, Any]], Any]]] = {}
        for collection, doc in written:
            by_document.setdefault((id(collection), doc["_id"]), []).append((collection, doc))
        slots = asyncio.Semaphore(self.PUBLISH_CONCURRENCY)

        async def publish(items: list[tuple[AsyncCollection[dict[str, Any]], Any]]) -> None:
            async with slots:
                for collection, doc in items:
                    await self._publish_entries(collection, doc["_id"], doc[OUTBOX_FIELD])

        results = await asyncio.gather(
            *(publish(items) for items in by_document.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, Exception):
                # What was not published stays in the outbox for the next scan.
                logger.error("outbox publish failed", exc_info=result)

    async def drain(self) -> int:
        """Publish everything pending now; returns how many entries were published."""
        published = 0
        for collection in self.collections:
            published += await self._drain_collection(collection)
        return published

    async def _drain_collection(self, collection: AsyncCollection[dict[str, Any]]) -> int:
        published = 0
        now = datetime.now(UTC)
        pending = collection.find(
            {
                **self.pending,
                "$or": [{LEASE_FIELD: {"$exists": False}}, {LEASE_FIELD: {"$lt": now}}],
            },
            projection={"_id": 1},
            limit=self.batch,
        )
        async for doc in pending:
            published += await self._drain_document(collection, doc["_id"])
        return published

    async def _drain_document(
        self, collection: AsyncCollection[dict[str, Any]], doc_id: Any
    ) -> int:
        now = datetime.now(UTC)
        claimed = await collection.find_one_and_update(
            {
                "_id": doc_id,
                f"{OUTBOX_FIELD}.0": {"$exists": True},
                "$or": [{LEASE_FIELD: {"$exists": False}}, {LEASE_FIELD: {"$lt": now}}],
            },
            {"$set": {LEASE_FIELD: now + self.lease}},
        )
        if claimed is None:
            return 0
        return await self._publish_entries(
            collection, doc_id, claimed.get(OUTBOX_FIELD, []), release_lease=True
        )

    async def _publish_entries(
        self,
        collection: AsyncCollection[dict[str, Any]],
        doc_id: Any,
        entries: list[dict[str, Any]],
        *,
        release_lease: bool = False,
    ) -> int:
        """Publish `entries` in order, then remove the published ones with a single update.

        Entries are removed by value, so entries pushed meanwhile stay. When publishing fails
        midway, the ones already sent are removed and the rest stay for the next pass.
        """
        published: list[dict[str, Any]] = []
        try:
            for entry in entries:
                token = otel_context.attach(propagate.extract(entry.get("trace") or {}))
                try:
                    await self.broker.publish(
                        entry["value"],
                        topic=entry["topic"],
                        key=str(entry["key"]).encode(),
                        headers=dict(entry["headers"]),
                    )
                finally:
                    otel_context.detach(token)
                published.append(entry)
        finally:
            update: dict[str, Any] = {}
            if published:
                update["$pullAll"] = {OUTBOX_FIELD: published}
            if release_lease:
                update["$unset"] = {LEASE_FIELD: ""}
            if update:
                await collection.update_one({"_id": doc_id}, update)
        return len(published)


def pending_filter(*, prefilter_empty: bool = False) -> dict[str, Any]:
    """The query of documents with entries in their outbox."""
    if prefilter_empty:
        # The local stack's FerretDB drops empty outboxes before decoding them only when
        # asked on the top-level field too (the `mongo_outbox_prefilter` setting).
        return {OUTBOX_FIELD: {"$ne": []}, f"{OUTBOX_FIELD}.0": {"$exists": True}}
    return {f"{OUTBOX_FIELD}.0": {"$exists": True}}


def outbox_sampler(
    collections: list[AsyncCollection[dict[str, Any]]],
    *,
    limit: int = 1000,
    pending: dict[str, Any] | None = None,
) -> tuple[SampleFn, SampleFn]:
    """Samplers of the outbox backlog (pending entries) and its oldest entry's age, per collection.

    Both come from one pass over at most `limit` documents with pending entries, reading only
    the entries' event times; a backlog beyond that is reported as at least `limit` documents.
    """
    cache: dict[str, tuple[float, float]] = {}

    async def scan() -> None:
        now = datetime.now(UTC)
        for collection in collections:
            count, oldest = 0, 0.0
            cursor = collection.find(
                pending or pending_filter(),
                projection={f"{OUTBOX_FIELD}.value.time": 1},
                limit=limit,
            )
            async for doc in cursor:
                for entry in doc.get(OUTBOX_FIELD) or []:
                    count += 1
                    stamp = (entry.get("value") or {}).get("time")
                    with contextlib.suppress(TypeError, ValueError):
                        at = datetime.fromisoformat(str(stamp))
                        at = at if at.tzinfo else at.replace(tzinfo=UTC)
                        oldest = max(oldest, (now - at).total_seconds())
            cache[collection.name] = (float(count), oldest)

    async def backlog() -> Sample:
        await scan()
        return [({"collection": name}, count) for name, (count, _) in cache.items()]

    async def oldest_age() -> Sample:
        # The backlog sampler runs first in the same pass and has just filled the cache.
        return [({"collection": name}, age) for name, (_, age) in cache.items()]

    return backlog, oldest_age


def register_outbox_gauges(sampler: Sampler, relay: OutboxRelay) -> None:
    if not relay.collections:
        return
    backlog, oldest_age = outbox_sampler(relay.collections, pending=relay.pending)
    sampler.gauge(
        "hoso.outbox.backlog",
        backlog,
        description="Outbox entries not yet published to Kafka, per collection.",
    )
    sampler.gauge(
        "hoso.outbox.oldest_age",
        oldest_age,
        unit="s",
        description="Age of the oldest outbox entry not yet published, per collection.",
    )
