"""One helper for the background loops of the services: a step run again and again.

Documents' cleanup, the sign reconciler and signing's poller and sweep all run a pass, log a
failed one and try again after a pause; this is that loop, written once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class PeriodicTask:
    """Runs `step` every `interval_s` seconds in the background, from `start()` to `stop()`.

    A pass that raises is handed to `on_error` (by default logged) and the next pass runs
    after the pause, so an outage of the database or the broker does not end the loop.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        interval_s: float,
        *,
        on_error: Callable[[Exception], None] | None = None,
        on_success: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.step = step
        self.interval_s = interval_s
        self.on_error = on_error
        self.on_success = on_success
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
                if self.on_success is not None:
                    self.on_success()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.on_error is not None:
                    self.on_error(error)
                else:
                    logger.exception("background pass failed", extra={"task": self.name})
            await asyncio.sleep(self.interval_s)
