"""Background: the sweep that expires unanswered requests and retakes stalled finishes."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from hoso_signing.providers import ProviderAnswer
from hoso_signing.usecases.answers import Answers
from hoso_signing.usecases.finishing import Finishing

logger = logging.getLogger(__name__)


class Background(Answers, Finishing):
    async def sweep(self) -> None:
        """Expire unanswered requests, retake dead replicas' finishes, fail stuck ones."""
        now = self.clock()
        for request_id in await self.repository.expired_awaiting(now):
            await self._expire(request_id)
        # Finishes go stale only after a lease or the approved grace period, so looking for
        # them every half of the shorter one is enough (the scan decodes every approved or
        # finishing request, a burst's worth of them).
        retake_every = max(
            self.settings.sweep_interval_s,
            min(self.settings.finish_lease_s, self.settings.approved_stale_s) / 2,
        )
        if time.monotonic() >= self._next_retake:
            self._next_retake = time.monotonic() + retake_every
            approved_before = now - timedelta(seconds=self.settings.approved_stale_s)
            for request_id in await self.repository.stale_finishes(now, approved_before):
                try:
                    await self.finish(request_id)
                except Exception:
                    logger.exception("finish retry failed", extra={"request_id": request_id})
        stuck_before = now - timedelta(seconds=self.settings.prepare_timeout_s)
        for request_id in await self.repository.stuck_before_approval(stuck_before):
            doc = await self.repository.get(request_id, light=True)
            if doc is not None:
                await self._fail(doc, "prepare_timeout")

    async def _expire(self, request_id: str) -> None:
        doc = await self.repository.get(request_id, light=True)
        if doc is None:
            return
        await self.record_answer(
            provider_id=str(doc["provider"]),
            transaction_id=str(doc.get("transaction_id") or ""),
            request_id=request_id,
            answer=ProviderAnswer(outcome="expired", reason="expired"),
            via="poll",
        )
