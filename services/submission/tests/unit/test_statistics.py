"""Statistics counters: what a dossier counts for, and recounting it as it moves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hoso_common.auth import Principal
from hoso_common.errors import Forbidden
from hoso_submission.domain.statistics import (
    Contribution,
    Facts,
    Increment,
    Outcome,
    ProcedureMonth,
    contribution,
    increments,
    totals,
)
from hoso_submission.domain.status import DossierStatus as S
from hoso_submission.statistics import StatisticsService, months_back

SUBMITTED = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)  # 3 November in Vietnam
DUE = datetime(2026, 11, 16, 16, 59, 59, tzinfo=UTC)


def facts(status: S, revision: int = 1, **changes: Any) -> Facts:
    base = Facts(
        dossier_id="d1",
        revision=revision,
        agency_code="STP-HNI",
        procedure_code="2.000488",
        status=status,
        submitted_at=SUBMITTED,
        due_at=DUE,
        completed_at=None,
    )
    return replace(base, **changes)


def test_a_draft_counts_for_nothing() -> None:
    assert contribution(facts(S.DRAFT, submitted_at=None)) is None


def test_an_open_dossier_counts_on_its_local_submission_day_and_due_day() -> None:
    counted = contribution(facts(S.PROCESSING))
    assert counted == Contribution("STP-HNI", "2.000488", "2026-11-03", Outcome.OPEN, "2026-11-16")
    assert counted.month == "2026-11"


def test_completion_is_on_time_until_the_end_of_the_due_day() -> None:
    on_time = contribution(facts(S.PROCESSED, completed_at=DUE))
    late = contribution(facts(S.RETURNED, completed_at=DUE + timedelta(seconds=1)))
    assert on_time is not None and on_time.outcome == Outcome.ON_TIME
    assert on_time.processing_s == int((DUE - SUBMITTED).total_seconds())
    assert late is not None and late.outcome == Outcome.LATE


@pytest.mark.parametrize("status", [S.REFUSED, S.WITHDRAWN, S.STOPPED])
def test_ended_without_result_is_closed(status: S) -> None:
    counted = contribution(facts(status))
    assert counted is not None and counted.outcome == Outcome.CLOSED


def test_completing_moves_the_dossier_out_of_its_open_bucket() -> None:
    old = contribution(facts(S.PROCESSING))
    new = contribution(facts(S.PROCESSED, completed_at=SUBMITTED + timedelta(days=2)))
    changes = {(i.kind, i.bucket): i.inc for i in increments(old, new)}
    assert changes == {
        ("month", "STP-HNI|2.000488|2026-11"): {"on_time": 1, "processing_s": 2 * 86400},
        ("open", "STP-HNI|2.000488|2026-11|2026-11-16"): {"open": -1},
    }


def test_the_same_contribution_changes_nothing() -> None:
    same = contribution(facts(S.ACCEPTED))
    assert increments(same, same) == []


@dataclass
class FakeStatistics:
    """The repository's counting half, in memory."""

    dossiers: dict[str, Facts] = field(default_factory=dict)
    marks: dict[str, tuple[int, Contribution | None]] = field(default_factory=dict)
    buckets: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    on_claim: Callable[[], Awaitable[None]] | None = None

    async def facts(self, dossier_id: str) -> Facts | None:
        return self.dossiers.get(dossier_id)

    async def mark(self, dossier_id: str) -> tuple[int, Contribution | None] | None:
        return self.marks.get(dossier_id)

    async def claim(
        self,
        dossier_id: str,
        *,
        previous_revision: int | None,
        revision: int,
        counted: Contribution | None,
    ) -> bool:
        current = self.marks.get(dossier_id)
        if (current[0] if current else None) != previous_revision:
            return False
        self.marks[dossier_id] = (revision, counted)
        if self.on_claim is not None:
            hook, self.on_claim = self.on_claim, None
            await hook()
        return True

    async def apply(self, changes: list[Increment]) -> None:
        for change in changes:
            bucket = self.buckets.setdefault((change.kind, change.bucket), {})
            for name, value in change.inc.items():
                bucket[name] = bucket.get(name, 0) + value

    def nonzero(self) -> dict[tuple[str, str], dict[str, int]]:
        return {
            key: {n: v for n, v in values.items() if v}
            for key, values in self.buckets.items()
            if any(values.values())
        }


async def test_recording_follows_the_dossier_and_ignores_repeats_and_old_revisions() -> None:
    fake = FakeStatistics()
    service = StatisticsService(fake, procedures=None)  # type: ignore[arg-type]
    fake.dossiers["d1"] = facts(S.NEW, revision=3)
    assert await service.record("d1")
    assert not await service.record("d1")  # the same event again
    fake.dossiers["d1"] = facts(S.PROCESSING, revision=5)
    assert await service.record("d1")
    fake.dossiers["d1"] = facts(S.PROCESSED, revision=6, completed_at=DUE + timedelta(days=1))
    assert await service.record("d1")
    # A late event of an older revision finds the dossier counted at a newer one.
    assert not await service.record("d1")
    assert fake.nonzero() == {
        ("month", "STP-HNI|2.000488|2026-11"): {
            "received": 1,
            "late": 1,
            "processing_s": int((DUE + timedelta(days=1) - SUBMITTED).total_seconds()),
        },
        ("day", "STP-HNI|2026-11-03"): {"received": 1},
    }


async def test_two_handlers_at_once_count_the_dossier_once() -> None:
    fake = FakeStatistics()
    service = StatisticsService(fake, procedures=None)  # type: ignore[arg-type]
    fake.dossiers["d1"] = facts(S.NEW, revision=3)
    seen_by_both: list[bool] = []

    async def second_handler() -> None:
        # It read the dossier before the first one moved the mark.
        seen_by_both.append(await service.record("d1"))

    fake.on_claim = second_handler
    assert await service.record("d1")
    assert seen_by_both == [False]
    assert fake.nonzero() == {
        ("month", "STP-HNI|2.000488|2026-11"): {"received": 1},
        ("day", "STP-HNI|2026-11-03"): {"received": 1},
        ("open", "STP-HNI|2.000488|2026-11|2026-11-16"): {"open": 1},
    }


async def test_officers_see_only_their_agency() -> None:
    service = StatisticsService(FakeStatistics(), procedures=None)  # type: ignore[arg-type]
    citizen = Principal(sub="c", roles=frozenset({"citizen"}))
    officer = Principal(sub="o", roles=frozenset({"officer"}), agency="STP-HNI")
    with pytest.raises(Forbidden):
        await service.report(citizen, None)
    with pytest.raises(Forbidden):
        await service.report(officer, "CA-HNI")


def test_totals_give_the_on_time_rate_and_mean_processing_days() -> None:
    rows = [
        ProcedureMonth(
            procedure_code="a",
            month="2026-11",
            received=4,
            on_time=3,
            late=1,
            processing_s=4 * 2 * 86400,
            in_progress=0,
        ),
        ProcedureMonth(
            procedure_code="b", month="2026-10", received=2, in_progress=1, overdue=1, closed=1
        ),
    ]
    result = totals(rows)
    assert (result.received, result.in_progress, result.overdue, result.closed) == (6, 1, 1, 1)
    assert result.on_time_rate == pytest.approx(0.75)
    assert result.average_processing_days == pytest.approx(2.0)
    assert totals([]).on_time_rate is None


def test_months_back_crosses_the_year() -> None:
    assert months_back(date(2026, 3, 15), 12) == date(2025, 4, 1)
    assert months_back(date(2026, 12, 1), 1) == date(2026, 12, 1)
