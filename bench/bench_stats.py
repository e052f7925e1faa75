"""Statistics benchmark: the "Thống kê" page over 100,000 dossiers.

Seeds dossiers submitted over the last 90 days to three benchmark agencies (BENCH-A/B/C,
three procedures each) straight into the submission database, in every outcome: open,
overdue, completed on time or late, closed. Their counters are built with the same
functions the service's event handler uses (`hoso_submission.domain.statistics`). Then an
officer of BENCH-A and an admin (every agency) load the page through the portal, logged in
through the IdP's form like a browser, and the report's figures are checked against what
was seeded.

Baseline, in the same run: the per-procedure count computed the way the counters avoid, one
aggregation over the agency's raw dossiers. The seeded data is removed at the end.

Last line: `stats_p95_ms=<officer page p95> dossiers=<n>`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from bench_portal import p95, portal_login
from pymongo import AsyncMongoClient, UpdateOne

from hoso_submission.domain.receipt import local_day
from hoso_submission.domain.statistics import Facts, Outcome, contribution, increments
from hoso_submission.domain.status import DossierStatus
from hoso_submission.repository import DOSSIERS, STATS_DAYS, STATS_MONTHS, STATS_OPEN
from hoso_testing.identity import IdpClient

AGENCIES = ("BENCH-A", "BENCH-B", "BENCH-C")
PROCEDURES = {a: [f"{a}.{n}" for n in (1, 2, 3)] for a in AGENCIES}
WORKING_DAYS = {1: 1, 2: 7, 3: 15}
BATCH = 2000

# How the seeded dossiers end, with their weights.
FATES = [
    (DossierStatus.RETURNED, 45),
    (DossierStatus.PROCESSED, 15),
    (DossierStatus.PROCESSING, 15),
    (DossierStatus.ACCEPTED, 8),
    (DossierStatus.NEW, 7),
    (DossierStatus.SUPPLEMENT_REQUESTED, 4),
    (DossierStatus.REFUSED, 3),
    (DossierStatus.WITHDRAWN, 2),
    (DossierStatus.STOPPED, 1),
]


def seed_dossier(rng: random.Random, now: datetime) -> dict[str, Any]:
    agency = rng.choice(AGENCIES)
    procedure = rng.choice(PROCEDURES[agency])
    submitted = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
    days = WORKING_DAYS[int(procedure[-1])]
    due = submitted + timedelta(days=days * 7 / 5)
    status = rng.choices([f for f, _ in FATES], [w for _, w in FATES])[0]
    completed = None
    if status in (DossierStatus.PROCESSED, DossierStatus.RETURNED):
        completed = min(now, submitted + timedelta(days=rng.uniform(0.2, days * 2)))
    dossier_id = uuid.uuid4().hex
    return {
        "_id": dossier_id,
        "owner_id": f"bench-{rng.randrange(5000)}",
        "procedure_code": procedure,
        "procedure_name": f"Thủ tục đo hiệu năng {procedure}",
        "agency_code": agency,
        "status": int(status),
        "receipt_code": f"{agency}-{local_day(submitted):%y%m%d}-{dossier_id[:8]}",
        "submitted_at": submitted,
        "due_at": due,
        "completed_at": completed,
        "revision": 3,
        "components": {},
        "history": [],
        "submissions": [],
        "outbox": [],
        "created_at": submitted,
        "updated_at": completed or submitted,
    }


def counters(documents: list[dict[str, Any]]) -> dict[str, list[UpdateOne]]:
    """The counter documents the event handler would have built, as bulk upserts."""
    buckets: dict[tuple[str, str], tuple[dict[str, Any], Counter[str]]] = {}
    for document in documents:
        facts = Facts(
            dossier_id=document["_id"],
            revision=document["revision"],
            agency_code=document["agency_code"],
            procedure_code=document["procedure_code"],
            status=DossierStatus(document["status"]),
            submitted_at=document["submitted_at"],
            due_at=document["due_at"],
            completed_at=document["completed_at"],
        )
        for change in increments(None, contribution(facts)):
            key = (change.kind, change.bucket)
            buckets.setdefault(key, (change.keys, Counter()))[1].update(change.inc)
    ops: dict[str, list[UpdateOne]] = {"month": [], "day": [], "open": []}
    for (kind, bucket), (keys, sums) in buckets.items():
        ops[kind].append(
            UpdateOne({"_id": bucket}, {"$inc": dict(sums), "$setOnInsert": keys}, upsert=True)
        )
    return ops


def expected(documents: list[dict[str, Any]], agency: str, now: datetime) -> Counter[str]:
    """What the report must say for one agency, counted from the seeded dossiers."""
    result: Counter[str] = Counter()
    today = local_day(now).isoformat()
    for document in documents:
        if document["agency_code"] != agency:
            continue
        counted = contribution(
            Facts(
                document["_id"],
                3,
                agency,
                document["procedure_code"],
                DossierStatus(document["status"]),
                document["submitted_at"],
                document["due_at"],
                document["completed_at"],
            )
        )
        assert counted is not None
        result["received"] += 1
        result[counted.outcome.value] += 1
        if counted.outcome == Outcome.OPEN and counted.due_day and counted.due_day < today:
            result["overdue"] += 1
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--gateway", default=os.environ.get("HOSO_GATEWAY_URL", "http://127.0.0.1:8080")
    )
    parser.add_argument("--keycloak", default="http://127.0.0.1:8080/auth")
    parser.add_argument(
        "--mongo", default=os.environ.get("HOSO_MONGO_URL", "mongodb://127.0.0.1:27017/")
    )
    parser.add_argument("--database", default="hoso_submission")
    parser.add_argument(
        "--dossiers", type=int, default=int(os.environ.get("BENCH_STATS_DOSSIERS", 100_000))
    )
    parser.add_argument("--requests", type=int, default=40, help="page loads per user")
    parser.add_argument(
        "--keep", action="store_true", help="leave the seeded dossiers, to look at the page"
    )
    args = parser.parse_args()

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo, tz_aware=True)
    db = client[args.database]
    await remove_seeded(db)

    rng = random.Random(20261130)
    now = datetime.now(UTC)
    documents = [seed_dossier(rng, now) for _ in range(args.dossiers)]
    began = time.monotonic()
    for start in range(0, len(documents), BATCH):
        await db[DOSSIERS].insert_many(documents[start : start + BATCH], ordered=False)
    ops = counters(documents)
    for kind, name in (("month", STATS_MONTHS), ("day", STATS_DAYS), ("open", STATS_OPEN)):
        await db[name].bulk_write(ops[kind], ordered=False)
    print(
        f"seeded {len(documents)} dossiers and "
        + ", ".join(f"{len(v)} {k}" for k, v in ops.items())
        + f" counters in {time.monotonic() - began:.0f}s"
    )

    keycloak = IdpClient(
        args.keycloak,
        admin_user=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN", "admin"),
        admin_password=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN_PASSWORD", "hoso-local-admin"),
    )
    officer = await keycloak.officer("BENCH-A", "Cán Bộ Đo Hiệu Năng")
    admin = await keycloak.admin()
    await keycloak.aclose()

    try:
        # The report agrees with what was seeded.
        async with httpx.AsyncClient(base_url=args.gateway, timeout=60) as api:
            response = await api.get("/api/submission/v1/statistics", headers=officer.headers)
            response.raise_for_status()
            totals = response.json()["totals"]
        want = expected(documents, "BENCH-A", now)
        got = {k: totals[k] for k in ("received", "on_time", "late", "closed", "overdue")}
        assert got == {k: want[k] for k in got}, (got, want)
        assert totals["in_progress"] == want["open"], (totals, want)

        timings: dict[str, list[float]] = {}
        for who, user in (("officer", officer), ("admin", admin)):
            page = await portal_login(args.gateway, user)
            try:
                latencies = []
                for n in range(args.requests + 3):
                    start_s = time.perf_counter()
                    answer = await page.get("/thong-ke")
                    elapsed = (time.perf_counter() - start_s) * 1000
                    assert answer.status_code == 200 and "Thống kê" in answer.text
                    if n >= 3:  # the first loads warm connections and caches
                        latencies.append(elapsed)
                timings[who] = latencies
            finally:
                await page.aclose()

        # Baseline: counting the agency's raw dossiers per procedure, once.
        start_s = time.perf_counter()
        cursor = await db[DOSSIERS].aggregate(
            [
                {"$match": {"agency_code": "BENCH-A"}},
                {"$group": {"_id": "$procedure_code", "received": {"$sum": 1}}},
            ]
        )
        raw = {group["_id"]: group["received"] async for group in cursor}
        raw_ms = (time.perf_counter() - start_s) * 1000
        assert sum(raw.values()) == want["received"]
        report_figures(timings, raw_ms, want["received"], len(documents))
    finally:
        if not args.keep:
            await remove_seeded(db)
        await client.close()


def report_figures(
    timings: dict[str, list[float]], raw_ms: float, agency_dossiers: int, dossiers: int
) -> None:
    officer_p95 = p95(timings["officer"])
    print(
        f"officer page: p95 {officer_p95:.0f} ms over {len(timings['officer'])} loads; "
        f"admin (every agency) page: p95 {p95(timings['admin']):.0f} ms"
    )
    print(
        f"raw aggregation over BENCH-A's {agency_dossiers} dossiers: {raw_ms:.0f} ms, "
        f"{raw_ms / officer_p95:.1f}x the page's p95 (ratio raw/page)"
    )
    print(f"stats_p95_ms={officer_p95:.0f} dossiers={dossiers}", flush=True)


async def remove_seeded(db: Any) -> None:
    """Delete what a run seeded, a thousand ids at a time (SQLite bounds one statement)."""
    scope = {"agency_code": {"$in": list(AGENCIES)}}
    for name in (DOSSIERS, STATS_MONTHS, STATS_DAYS, STATS_OPEN):
        while True:
            cursor = db[name].find(scope, projection={"_id": 1}).limit(1000)
            ids = [document["_id"] async for document in cursor]
            if not ids:
                break
            await db[name].delete_many({"_id": {"$in": ids}})


if __name__ == "__main__":
    asyncio.run(main())
