"""The officers' inbox ("Hồ sơ cần xử lý"): its filters as a MongoDB query, and its order.

Kept apart from the repository so the query each filter builds can be checked without a
database. Overdue and due-today dossiers come first: the order is the agency's running
clock first, then the nearest due date, which one compound index serves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hoso_submission.domain.procedures import search_text
from hoso_submission.domain.receipt import VIETNAM_TIME, local_day
from hoso_submission.domain.status import DossierStatus

Query = dict[str, Any]

# (field, direction): 1 ascending, -1 descending; the index in repository.py has this shape.
INBOX_SORT: list[tuple[str, int]] = [("deadline_running", -1), ("due_at", 1), ("_id", 1)]


@dataclass(frozen=True)
class InboxFilter:
    """What the officer asked for; `agency` None means every agency (admins only)."""

    agency: str | None
    statuses: list[int] = field(default_factory=list)
    procedure_code: str | None = None
    q: str | None = None


def base_query(inbox: InboxFilter) -> Query:
    """Every filter but the status: the status counts are made over this."""
    query: Query = {"status": {"$gte": int(DossierStatus.NEW)}}
    if inbox.agency:
        query["agency_code"] = inbox.agency
    if inbox.procedure_code:
        query["procedure_code"] = inbox.procedure_code
    words = (inbox.q or "").strip()
    if words:
        # A receipt code is typed from its start; a name may be typed without diacritics.
        query["$or"] = [
            {"receipt_code": {"$regex": "^" + re.escape(words.upper())}},
            {"owner_search": {"$regex": re.escape(search_text(words))}},
        ]
    return query


def inbox_query(inbox: InboxFilter) -> Query:
    query = base_query(inbox)
    if inbox.statuses:
        query["status"] = {"$in": sorted(set(inbox.statuses))}
    return query


def overdue_query(inbox: InboxFilter, now: datetime) -> Query:
    return {**base_query(inbox), "deadline_running": True, "due_at": {"$lt": now}}


def due_today_query(inbox: InboxFilter, now: datetime) -> Query:
    return {
        **base_query(inbox),
        "deadline_running": True,
        "due_at": {"$gte": now, "$lt": start_of_next_day(local_day(now))},
    }


def start_of_next_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), VIETNAM_TIME).astimezone(UTC)


def status_counts_pipeline(inbox: InboxFilter) -> list[Query]:
    return [{"$match": base_query(inbox)}, {"$group": {"_id": "$status", "count": {"$sum": 1}}}]
