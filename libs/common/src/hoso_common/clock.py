"""The one clock of the services: the current time in UTC, as the database stores it."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, cut to milliseconds.

    MongoDB keeps milliseconds; a time cut the same way before it is stored compares equal to
    the one read back, and an answer built from it repeats identically.
    """
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
