"""Service statistics (thống kê): what one dossier adds to the counters, and the report.

The statistics page must answer in well under a second over a hundred thousand dossiers,
so it never reads the dossiers. Each dossier contributes to three kinds of counter
document, kept up to date as it moves (see `hoso_submission.statistics`):

- a **month bucket** per agency, procedure and month of submission (local time): received,
  completed on time, completed late, closed without a result (refused, withdrawn, stopped),
  and the processing seconds of the completed ones;
- a **day bucket** per agency and day of submission: received, for the 90-day chart;
- an **open bucket** per agency, procedure, month of submission and due day: the dossiers
  still with the agency or the citizen. Those whose due day has passed are overdue.

Range filters compare date-times (`month_start`, `date`, `due`), which the local FerretDB
narrows in SQLite before decoding a document (stack/ferretdb/README.md).

A dossier's contribution is a pure function of its state, so moving it is "take away the
old contribution, add the new one", whatever happened in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from hoso_submission.domain.receipt import local_day
from hoso_submission.domain.status import DossierStatus

# Statuses that end a dossier without a result.
CLOSED = frozenset({DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED})
# A dossier has its result from "Đã xử lý xong" on.
COMPLETED = frozenset({DossierStatus.PROCESSED, DossierStatus.RETURNED})

COUNTERS = ("received", "on_time", "late", "closed", "processing_s")


class Outcome(StrEnum):
    OPEN = "open"
    ON_TIME = "on_time"
    LATE = "late"
    CLOSED = "closed"


@dataclass(frozen=True)
class Facts:
    """The fields of a dossier that statistics read."""

    dossier_id: str
    revision: int
    agency_code: str
    procedure_code: str
    status: DossierStatus
    submitted_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class Contribution:
    """What one dossier counts for; stored beside the counters to undo it later."""

    agency_code: str
    procedure_code: str
    day: str  # local day of submission, YYYY-MM-DD
    outcome: Outcome
    due_day: str | None = None  # while open: the local due day, YYYY-MM-DD
    processing_s: int = 0

    @property
    def month(self) -> str:
        return self.day[:7]

    def month_bucket(self) -> str:
        return f"{self.agency_code}|{self.procedure_code}|{self.month}"

    def day_bucket(self) -> str:
        return f"{self.agency_code}|{self.day}"

    def open_bucket(self) -> str:
        return f"{self.month_bucket()}|{self.due_day or '-'}"

    def counters(self) -> dict[str, int]:
        """This dossier's share of its month bucket."""
        counts = dict.fromkeys(COUNTERS, 0)
        counts["received"] = 1
        if self.outcome in (Outcome.ON_TIME, Outcome.LATE, Outcome.CLOSED):
            counts[self.outcome.value] = 1
        counts["processing_s"] = self.processing_s
        return counts

    def to_document(self) -> dict[str, Any]:
        return {
            "agency_code": self.agency_code,
            "procedure_code": self.procedure_code,
            "day": self.day,
            "outcome": self.outcome.value,
            "due_day": self.due_day,
            "processing_s": self.processing_s,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Contribution:
        return cls(
            agency_code=document["agency_code"],
            procedure_code=document["procedure_code"],
            day=document["day"],
            outcome=Outcome(document["outcome"]),
            due_day=document.get("due_day"),
            processing_s=int(document.get("processing_s") or 0),
        )


def contribution(facts: Facts) -> Contribution | None:
    """What the dossier counts for now; None for a draft, which counts for nothing."""
    if facts.submitted_at is None or facts.status == DossierStatus.DRAFT:
        return None
    agency, procedure = facts.agency_code, facts.procedure_code
    day = local_day(facts.submitted_at).isoformat()
    if facts.status in CLOSED:
        return Contribution(agency, procedure, day, Outcome.CLOSED)
    if facts.status in COMPLETED:
        done = facts.completed_at or facts.submitted_at
        late = facts.due_at is not None and done > facts.due_at
        seconds = max(0, int((done - facts.submitted_at).total_seconds()))
        outcome = Outcome.LATE if late else Outcome.ON_TIME
        return Contribution(agency, procedure, day, outcome, processing_s=seconds)
    due_day = local_day(facts.due_at).isoformat() if facts.due_at is not None else None
    return Contribution(agency, procedure, day, Outcome.OPEN, due_day=due_day)


@dataclass(frozen=True)
class Increment:
    """One $inc on one counter document."""

    kind: str  # "month", "day" or "open"
    bucket: str
    keys: dict[str, Any]
    inc: dict[str, int]


def increments(old: Contribution | None, new: Contribution | None) -> list[Increment]:
    """The counter changes that replace `old` with `new` (nothing when they are equal)."""
    if old == new:
        return []
    changes: dict[tuple[str, str], Increment] = {}

    def add(c: Contribution, sign: int) -> None:
        month_keys = {
            "agency_code": c.agency_code,
            "procedure_code": c.procedure_code,
            "month": c.month,
            "month_start": _midnight(c.month + "-01"),
        }
        counts = {k: sign * v for k, v in c.counters().items()}
        _merge(changes, "month", c.month_bucket(), month_keys, counts)
        day_keys = {"agency_code": c.agency_code, "day": c.day, "date": _midnight(c.day)}
        _merge(changes, "day", c.day_bucket(), day_keys, {"received": sign})
        if c.outcome == Outcome.OPEN:
            due = _midnight(c.due_day) if c.due_day else None
            open_keys = {**month_keys, "due_day": c.due_day or "", "due": due}
            _merge(changes, "open", c.open_bucket(), open_keys, {"open": sign})

    if old is not None:
        add(old, -1)
    if new is not None:
        add(new, +1)
    return [
        Increment(i.kind, i.bucket, i.keys, {k: v for k, v in i.inc.items() if v})
        for i in changes.values()
        if any(i.inc.values())
    ]


def _midnight(day: str) -> datetime:
    """A local day as a date-time, the form range filters compare best on."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _merge(
    changes: dict[tuple[str, str], Increment],
    kind: str,
    bucket: str,
    keys: dict[str, Any],
    inc: dict[str, int],
) -> None:
    current = changes.get((kind, bucket))
    if current is None:
        changes[(kind, bucket)] = Increment(kind, bucket, keys, dict(inc))
        return
    for name, value in inc.items():
        current.inc[name] = current.inc.get(name, 0) + value


# -- the report -------------------------------------------------------------------------


class ProcedureMonth(BaseModel):
    """The figures of one procedure in one month of submission."""

    procedure_code: str
    procedure_name: str = ""
    month: str = Field(description="YYYY-MM of submission, local time.")
    received: int = 0
    in_progress: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    closed: int = 0
    processing_s: int = 0

    @property
    def completed(self) -> int:
        return self.on_time + self.late


class DayCount(BaseModel):
    day: date
    received: int


class Totals(BaseModel):
    received: int = 0
    in_progress: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    closed: int = 0
    on_time_rate: float | None = Field(
        default=None, description="Completed on time / completed, 0–1; None before any."
    )
    average_processing_days: float | None = Field(
        default=None, description="Mean calendar days from submission to completion."
    )


class StatisticsReport(BaseModel):
    agency_code: str | None = Field(description="The agency, or None for every agency.")
    today: date
    rows: list[ProcedureMonth]
    totals: Totals
    daily: list[DayCount] = Field(description="Dossiers received each day, oldest first.")


def totals(rows: Iterable[ProcedureMonth]) -> Totals:
    """Sum the rows (a handful per procedure and month) and derive the rates."""
    result = Totals()
    processing_s = 0
    for row in rows:
        result.received += row.received
        result.in_progress += row.in_progress
        result.on_time += row.on_time
        result.late += row.late
        result.overdue += row.overdue
        result.closed += row.closed
        processing_s += row.processing_s
    completed = result.on_time + result.late
    if completed:
        result.on_time_rate = result.on_time / completed
        result.average_processing_days = processing_s / completed / 86400
    return result
