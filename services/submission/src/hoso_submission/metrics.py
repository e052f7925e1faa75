"""Submission metrics: dossiers by status, and dossiers past their procedure's legal time."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

from hoso_common.clock import utc_now
from hoso_common.metrics import Sample, Sampler
from hoso_submission.domain.status import DossierStatus
from hoso_submission.repository import DossierRepository, ProcedureRepository

# Waiting on the agency: the legal processing time runs while a dossier is in these.
AGENCY_STATES = (DossierStatus.NEW, DossierStatus.ACCEPTED, DossierStatus.PROCESSING)


def calendar_days(working_days: int) -> int:
    """The fewest calendar days `working_days` can span (five working days a week).

    Holidays only make the real deadline later, so a dossier counted overdue by this is
    overdue by the legal calendar too.
    """
    return math.ceil(working_days * 7 / 5)


def register_gauges(
    dossiers: DossierRepository, procedures: ProcedureRepository
) -> Callable[[Sampler], None]:
    async def by_status() -> Sample:
        sample = []
        for status in DossierStatus:
            n = await dossiers.collection.count_documents({"status": int(status)})
            sample.append(({"status": status.name.lower()}, float(n)))
        return sample

    async def overdue() -> Sample:
        now = utc_now()
        total = 0
        async for procedure in procedures.collection.find(
            {}, projection={"processing_time.working_days": 1}
        ):
            days = int((procedure.get("processing_time") or {}).get("working_days") or 0)
            if days <= 0:
                continue
            total += await dossiers.collection.count_documents(
                {
                    "procedure_code": procedure["_id"],
                    "status": {"$in": [int(s) for s in AGENCY_STATES]},
                    "submitted_at": {"$lt": now - timedelta(days=calendar_days(days))},
                }
            )
        return [({}, float(total))]

    def register(sampler: Sampler) -> None:
        sampler.gauge(
            "hoso.submission.dossiers",
            by_status,
            unit="{dossier}",
            description="Dossiers in each status.",
        )
        sampler.gauge(
            "hoso.submission.dossiers_overdue",
            overdue,
            unit="{dossier}",
            description="Dossiers with the agency past their procedure's legal processing time.",
        )

    return register
