"""Use cases of the statistics (thống kê): keep the counters current, and read the report.

`record` is called for every dossier event (see `events.py`). It reads the dossier as it is
now, not as the event describes it, so events arriving late, twice or out of order all
leave the counters right: a dossier's mark holds the revision it was last counted at, and
an older or equal revision changes nothing.

A dossier's two events of one submission come on two topics and may be handled at the same
time, even by two replicas; the handler that moves the mark from the revision it read is the
one that changes the counters. The one gap: a replica that dies between moving the mark and
changing the counters loses that change (the mark says it is done).
`python -m hoso_submission.statistics rebuild` recounts every dossier from its current state
(docs/operations.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hoso_common.auth import Principal
from hoso_common.clock import utc_now
from hoso_common.errors import Forbidden
from hoso_submission.domain.receipt import local_day
from hoso_submission.domain.statistics import (
    DayCount,
    StatisticsReport,
    contribution,
    increments,
    totals,
)
from hoso_submission.repository import ProcedureRepository, StatisticsRepository

logger = logging.getLogger(__name__)

DAILY_DAYS = 90
TABLE_MONTHS = 12


def months_back(today: date, months: int) -> date:
    """The first day of the month `months - 1` before today's: where `months` months start."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class StatisticsService:
    statistics: StatisticsRepository
    procedures: ProcedureRepository

    async def record(self, dossier_id: str) -> bool:
        """Bring the counters in line with the dossier's current state; False if they were."""
        while True:
            facts = await self.statistics.facts(dossier_id)
            if facts is None:
                return False
            mark = await self.statistics.mark(dossier_id)
            if mark is not None and mark[0] >= facts.revision:
                return False
            old = mark[1] if mark is not None else None
            new = contribution(facts)
            if await self.statistics.claim(
                dossier_id,
                previous_revision=mark[0] if mark is not None else None,
                revision=facts.revision,
                counted=new,
            ):
                await self.statistics.apply(increments(old, new))
                return True
            # Another handler moved the mark meanwhile: read both again.

    async def report(
        self, principal: Principal, agency: str | None, *, today: date | None = None
    ) -> StatisticsReport:
        """An officer sees their agency; an admin one agency or, with none, all of them."""
        if not principal.has("admin"):
            if not principal.has("officer") or not principal.agency:
                raise Forbidden("Chỉ cán bộ và quản trị viên được xem thống kê.")
            if agency and agency != principal.agency:
                raise Forbidden("Cán bộ chỉ xem được thống kê của cơ quan mình.")
            agency = principal.agency
        today = today or local_day(utc_now())
        rows = await self.statistics.report_rows(
            agency, since_month=months_back(today, TABLE_MONTHS), today=today
        )
        for row in rows:
            procedure = await self.procedures.get(row.procedure_code)
            row.procedure_name = procedure.name if procedure else row.procedure_code
        first = today - timedelta(days=DAILY_DAYS - 1)
        received = await self.statistics.received_by_day(agency, since=first)
        daily = [
            DayCount(day=day, received=received.get(day.isoformat(), 0))
            for day in (first + timedelta(days=n) for n in range(DAILY_DAYS))
        ]
        return StatisticsReport(
            agency_code=agency, today=today, rows=rows, totals=totals(rows), daily=daily
        )

    async def rebuild(self, page: int = 500) -> int:
        """Count every submitted dossier not yet counted at its current revision.

        After `StatisticsRepository.reset` that is every one of them; the submission service
        should be stopped meanwhile, or its events would be counted on top.
        """
        changed = 0
        after: str | None = None
        while ids := await self.statistics.dossier_ids(after=after, limit=page):
            for dossier_id in ids:
                changed += await self.record(dossier_id)
            after = ids[-1]
        return changed


async def _rebuild() -> int:
    from hoso_common.mongo import create_mongo_client, database
    from hoso_submission.config import Settings

    settings = Settings()
    client = create_mongo_client(settings, app_name="submission-statistics")
    try:
        db = database(client, settings)
        service = StatisticsService(StatisticsRepository(db), ProcedureRepository(db))
        await service.statistics.reset()
        return await service.rebuild()
    finally:
        await client.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hoso_submission.statistics", description="submission statistics"
    )
    parser.add_argument("command", choices=["rebuild"])
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    counted = asyncio.run(_rebuild())
    logger.info("recounted %d dossiers", counted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
