"""One helper for the background loops of the services: a step run again and again.

Documents' cleanup, the sign reconciler, signing's poller and sweep and the notifications'
senders all run a pass, log a failed one and try again after a pause; this is that loop,
written once.
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
    `nudge()` cuts the pause short. With `busy`, a pass whose result it finds true (there was
    work, so there may be more) is followed by the next one at once.
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        interval_s: float,
        *,
        on_error: Callable[[Exception], None] | None = None,
        on_success: Callable[[], None] | None = None,
        busy: Callable[[object], bool] | None = None,
    ) -> None:
        self.name = name
        self.step = step
        self.interval_s = interval_s
        self.on_error = on_error
        self.on_success = on_success
        self.busy = busy
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def nudge(self) -> None:
        """Run the next pass now instead of after the pause."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            again = False
            try:
                result = await self.step()
                again = self.busy is not None and self.busy(result)
                if self.on_success is not None:
                    self.on_success()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.on_error is not None:
                    self.on_error(error)
                else:
                    logger.exception("background pass failed", extra={"task": self.name})
            if not again:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
