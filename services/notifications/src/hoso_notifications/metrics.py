"""Notifications metrics: messages by channel and state (uncertain and failed need a look)."""

from __future__ import annotations

from collections.abc import Callable

from hoso_common.metrics import Sample, Sampler
from hoso_notifications.domain.notification import Channel
from hoso_notifications.repository import MongoNotificationStore


def register_gauges(
    store: MongoNotificationStore, channels: tuple[Channel, ...]
) -> Callable[[Sampler], None]:
    async def by_state() -> Sample:
        sample = []
        for channel in channels:
            for state, n in (await store.count_by_state(channel)).items():
                sample.append(({"channel": channel, "state": state}, float(n)))
        return sample

    def register(sampler: Sampler) -> None:
        sampler.gauge(
            "hoso.notifications.messages",
            by_state,
            unit="{message}",
            description="E-mails and SMS by state; uncertain ones may have gone out once.",
        )

    return register
