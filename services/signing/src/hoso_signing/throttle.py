"""Throughput throttles of one replica, kept apart from the rules they pace.

Fewer prepares than finishes run at a time, one finish per request runs on a replica, and the
scan for stalled finishes runs no more often than it can find any.
"""

from __future__ import annotations

import asyncio
import time


class InFlight:
    """Request ids this replica works on now (a consumer and the sweep can meet on one)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def claim(self, request_id: str) -> bool:
        if request_id in self._ids:
            return False
        self._ids.add(request_id)
        return True

    def release(self, request_id: str) -> None:
        self._ids.discard(request_id)


class Every:
    """Says yes at most once per interval, the first time at once."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._next = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.interval_s
        return True


class Throttles:
    """The pacing of one replica's use cases."""

    def __init__(self, *, prepare_concurrency: int, retake_every_s: float) -> None:
        # Fewer prepares than finishes at a time: under a burst the CPU goes first to
        # requests the citizen has approved already.
        self.prepare_slots = asyncio.Semaphore(prepare_concurrency)
        self.finishing = InFlight()
        self.retake = Every(retake_every_s)
