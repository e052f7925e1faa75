"""The periodic task that removes expired drafts and orphans (FerretDB has no TTL indexes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from hoso_documents.vault import Vault

logger = logging.getLogger(__name__)


class PeriodicCleanup:
    def __init__(self, vault: Vault, interval_s: float) -> None:
        self.vault = vault
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="documents-cleanup")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.vault.clean_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("vault cleanup pass failed")
            await asyncio.sleep(self.interval_s)
