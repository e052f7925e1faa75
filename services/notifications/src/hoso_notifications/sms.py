"""SMS: the port a real gateway implements, and the sandbox that writes each SMS to the log."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

logger = logging.getLogger(__name__)

Commit = Callable[[], Awaitable[None]]


class SmsSender(Protocol):
    async def send(self, *, phone: str, text: str, message_id: str, commit: Commit) -> None:
        """Send one SMS; `commit` is awaited right before the step that cannot be taken back.

        Raise DeliveryDeferred when nothing was sent and a later try may work, DeliveryRefused
        when the gateway refuses it for good, DeliveryUncertain when it may have gone out.
        """
        ...


class LogSmsSender:
    """The sandbox gateway: the SMS is a log line (`make logs ARGS=notifications`)."""

    async def send(self, *, phone: str, text: str, message_id: str, commit: Commit) -> None:
        await commit()
        masked = "*" * max(0, len(phone) - 4) + phone[-4:]
        logger.info(
            "sms sent (sandbox)", extra={"phone": masked, "sms_id": message_id, "text": text}
        )
