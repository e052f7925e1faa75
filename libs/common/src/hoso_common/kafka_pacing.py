"""A pause after each failed metadata update of aiokafka's clients.

aiokafka's fetcher asks for fresh metadata in a loop while one of its partitions has no known
leader, and waits for the answer only: with the broker away, a failed update answers at once
(the connection is refused), so the loop spun thousands of times a second, writing a log line
each time and taking the CPU the broker needed to start again. aio-libs/aiokafka#1155 is the
same family of tight loop. A failed update now waits the client's `retry_backoff_ms` before it
answers; a successful one is untouched.
"""

import asyncio
from typing import Any

from aiokafka.client import AIOKafkaClient

_PACED = "_hoso_paced"


def pace_failed_metadata_updates() -> None:
    """Install the pause once per process (idempotent)."""
    original = AIOKafkaClient._metadata_update
    if getattr(original, _PACED, False):
        return

    async def paced(self: AIOKafkaClient, cluster_metadata: Any, topics: Any) -> bool:
        updated = bool(await original(self, cluster_metadata, topics))
        if not updated:
            await asyncio.sleep(self._retry_backoff)
        return updated

    setattr(paced, _PACED, True)
    AIOKafkaClient._metadata_update = paced
