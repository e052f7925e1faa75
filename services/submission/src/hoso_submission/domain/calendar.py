"""Working days of Vietnamese agencies and the due date of a dossier.

An agency works Monday to Friday except public holidays. The processing time of a
procedure is counted in working days from the day after the dossier is received (a
dossier received on a Friday evening or a holiday starts counting on the next working
day), and the dossier is due at the end of the last of those days, Vietnam time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from hoso_submission.domain.receipt import VIETNAM_TIME, local_day
from hoso_submission.domain.status import DossierStatus

DEFAULT_HOLIDAYS = "holidays_vn.json"
# Past this, a due date is a typo in the catalogue rather than a deadline.
MAX_WORKING_DAYS = 3650
END_OF_DAY = time(23, 59, 59, 999000)
# The agency's clock runs while the dossier waits on the agency; it stops while the citizen
# supplies papers or pays (the time is not the agency's), and at any end.
CLOCK_RUNNING: frozenset[DossierStatus] = frozenset(
    {DossierStatus.NEW, DossierStatus.ACCEPTED, DossierStatus.PROCESSING}
)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str


class HolidayFileInvalid(ValueError):
    pass


def parse_holidays(text: str) -> list[Holiday]:
    """Holidays from the JSON file format: {"holidays": [{"date": "2026-01-01", "name": …}]}."""
    try:
        entries = json.loads(text)["holidays"]
        return [Holiday(date.fromisoformat(e["date"]), str(e.get("name", ""))) for e in entries]
    except (ValueError, KeyError, TypeError) as error:
        raise HolidayFileInvalid(f"not a holiday list: {error}") from error


def load_holidays(path: Path | None = None) -> list[Holiday]:
    """The holidays in `path`, or the list that ships with the service (2026 and 2027)."""
    if path is None:
        text = resources.files(__package__).joinpath(DEFAULT_HOLIDAYS).read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_holidays(text)


class WorkingCalendar:
    """Monday–Friday minus the given holidays."""

    def __init__(self, holidays: list[Holiday] | None = None) -> None:
        self.holidays: dict[date, str] = {h.day: h.name for h in holidays or []}

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start`; 0 is the first working day from `start`."""
        if not 0 <= days <= MAX_WORKING_DAYS:
            raise ValueError(f"working days out of range: {days}")
        day = start
        if days == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def due_day(self, received_at: datetime, working_days: int) -> date:
        return self.add_working_days(local_day(received_at), working_days)

    def due_at(self, received_at: datetime, working_days: int) -> datetime:
        """The end of the due day in Vietnam, as a UTC instant."""
        end = datetime.combine(self.due_day(received_at, working_days), END_OF_DAY, VIETNAM_TIME)
        return end.astimezone(UTC)


def deadline_state(due_at: datetime | None, running: bool, now: datetime) -> str | None:
    """'overdue', 'due_today' or 'on_time' while the agency's clock runs; None otherwise."""
    if due_at is None or not running:
        return None
    if due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=UTC)
    if now > due_at:
        return "overdue"
    if local_day(now) == local_day(due_at):
        return "due_today"
    return "on_time"
