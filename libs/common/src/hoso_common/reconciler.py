"""Finds what has waited on signing for too long, asks signing for the truth, and reports repairs.

A document or e-form in "signing" waits for one SignCompleted. If that event is lost (a
dead-lettered message, an operator's mistake), the wait would last for ever. Past the approval
lifetime plus a margin, every request has ended on signing's side, so the reconciler asks
signing to announce the outcome again (SignStatusQueried). The normal SignCompleted handler
applies the answer, and `repaired()` counts it. Operators read the report in the logs
("reconciler repaired ...") and at GET /health/reconciler of each service; see
docs/operations.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter

from hoso_common.background import cancel_and_wait
from hoso_common.events import SignSource, SignStatusQueried

logger = logging.getLogger(__name__)


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Waiting:
    """One item (document, e-form) waiting for the outcome of one sign request."""

    source_id: str
    request_id: str
    since: datetime


FindWaiting = Callable[[datetime, int], Awaitable[list[Waiting]]]
Ask = Callable[[SignStatusQueried], Awaitable[None]]


class SignReconciler:
    """Periodically asks signing about the requests its service has waited on for too long."""

    def __init__(
        self,
        *,
        source: SignSource,
        find_waiting: FindWaiting,
        ask: Ask,
        wait_s: float,
        interval_s: float = 30.0,
        ask_again_s: float = 120.0,
        batch: int = 200,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.source = source
        self.find_waiting = find_waiting
        self.ask = ask
        self.wait = timedelta(seconds=wait_s)
        self.interval_s = interval_s
        self.ask_again = timedelta(seconds=ask_again_s)
        self.batch = batch
        self.clock = clock
        self._asked: dict[str, datetime] = {}
        self._task: asyncio.Task[None] | None = None
        self.passes = 0
        self.asked_total = 0
        self.repaired_total = 0
        self.last_pass_at: datetime | None = None
        self.last_error: str | None = None
        self.waiting_now = 0
        self.recent: deque[dict[str, Any]] = deque(maxlen=50)

    async def run_once(self) -> int:
        """Ask about every item waiting longer than the bound; returns how many were asked."""
        now = self.clock()
        waiting = await self.find_waiting(now - self.wait, self.batch)
        self.waiting_now = len(waiting)
        still = {item.request_id for item in waiting}
        # Forget the requests that are no longer waiting, so the memory stays bounded.
        self._asked = {k: v for k, v in self._asked.items() if k in still}
        asked = 0
        for item in waiting:
            last = self._asked.get(item.request_id)
            if last is not None and now - last < self.ask_again:
                continue
            await self.ask(
                SignStatusQueried(
                    request_id=item.request_id,
                    source=self.source,
                    source_id=item.source_id,
                    waiting_since=item.since,
                )
            )
            self._asked[item.request_id] = now
            asked += 1
            logger.warning(
                "reconciler asked signing about a stale request",
                extra={
                    "source": self.source,
                    "source_id": item.source_id,
                    "request_id": item.request_id,
                    "waiting_since": item.since.isoformat(),
                },
            )
        self.passes += 1
        self.asked_total += asked
        self.last_pass_at = now
        return asked

    def repaired(self, source_id: str, request_id: str, outcome: str) -> None:
        """Record that a re-announced outcome changed an item that was stuck."""
        self.repaired_total += 1
        self._asked.pop(request_id, None)
        entry = {
            "source_id": source_id,
            "request_id": request_id,
            "outcome": outcome,
            "at": self.clock().isoformat(),
        }
        self.recent.append(entry)
        logger.warning("reconciler repaired a stuck item", extra={"source": self.source, **entry})

    def report(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "wait_s": self.wait.total_seconds(),
            "passes": self.passes,
            "last_pass_at": self.last_pass_at.isoformat() if self.last_pass_at else None,
            "last_error": self.last_error,
            "waiting_past_bound": self.waiting_now,
            "asked_total": self.asked_total,
            "repaired_total": self.repaired_total,
            "recent_repairs": list(self.recent),
        }

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.source}-reconciler")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # An outage of the database or the broker: the next pass tries again.
                self.last_error = repr(error)[:300]
                logger.warning("reconciler pass failed", extra={"error": repr(error)})
            await asyncio.sleep(self.interval_s)


def reconciler_router(reconciler: SignReconciler) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/reconciler")
    async def report() -> dict[str, Any]:
        """What the reconciler found waiting too long, asked about, and repaired."""
        return reconciler.report()

    return router
