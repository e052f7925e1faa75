"""Background: the sweep that expires unanswered requests and retakes stalled finishes."""

from __future__ import annotations

import logging
from datetime import timedelta

from hoso_signing.usecases.answers import Answers
from hoso_signing.usecases.context import SigningContext
from hoso_signing.usecases.finishing import Finishing

logger = logging.getLogger(__name__)


class Background:
    def __init__(self, context: SigningContext, answers: Answers, finishing: Finishing) -> None:
        self.context = context
        self.answers = answers
        self.finishing = finishing

    async def sweep(self) -> None:
        """Expire unanswered requests, retake dead replicas' finishes, fail stuck ones."""
        context = self.context
        settings = context.settings
        requests = context.requests
        now = context.clock()
        for request_id in await requests.expired_awaiting(now):
            await self.answers.expire(request_id)
        if context.throttles.retake.due():
            approved_before = now - timedelta(seconds=settings.approved_stale_s)
            for request_id in await requests.stale_finishes(now, approved_before):
                try:
                    await self.finishing.finish(request_id)
                except Exception:
                    logger.exception("finish retry failed", extra={"request_id": request_id})
        stuck_before = now - timedelta(seconds=settings.prepare_timeout_s)
        for request_id in await requests.stuck_before_approval(stuck_before):
            request = await requests.get(request_id, light=True)
            if request is not None:
                await context.fail(request, "prepare_timeout")
