"""Receipt codes (mã hồ sơ): agency code, local date and a daily sequence per agency."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

# Vietnam has kept UTC+7 without daylight saving since 1975.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
RECEIPT_PATTERN = re.compile(r"^(?P<agency>[A-Z0-9-]+)-(?P<day>\d{6})-(?P<seq>\d{6,})$")


def local_day(moment: datetime) -> date:
    """The day in Vietnam at `moment`, which is the day printed on the receipt."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TIME).date()


def counter_id(agency_code: str, day: date) -> str:
    """Id of the counter document that numbers one agency's dossiers of one day."""
    return f"{agency_code}:{day:%y%m%d}"


def receipt_code(agency_code: str, day: date, sequence: int) -> str:
    """E.g. STP-HNI-261126-000123: readable over the phone and sortable by day."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{agency_code}-{day:%y%m%d}-{sequence:06d}"


def is_receipt_code(value: str) -> bool:
    return RECEIPT_PATTERN.match(value) is not None
