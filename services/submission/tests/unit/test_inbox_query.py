"""The inbox's filters as MongoDB queries, and the service putting a page together (fakes)."""

from datetime import UTC, datetime
from typing import Any

from hoso_common.auth import Principal
from hoso_submission.domain.inbox import (
    INBOX_SORT,
    InboxFilter,
    base_query,
    due_today_query,
    inbox_query,
    overdue_query,
    status_counts_pipeline,
)
from hoso_submission.service import DossierService

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 10:00 on Monday in Vietnam


def test_an_officer_query_is_always_bound_to_one_agency_and_never_sees_drafts() -> None:
    query = inbox_query(InboxFilter(agency="STP-HNI"))
    assert query == {"status": {"$gte": 1}, "agency_code": "STP-HNI"}


def test_admins_without_an_agency_see_every_agency() -> None:
    assert "agency_code" not in inbox_query(InboxFilter(agency=None))


def test_status_and_procedure_filters() -> None:
    query = inbox_query(
        InboxFilter(agency="STP-HNI", statuses=[4, 1, 4], procedure_code="2.000488")
    )
    assert query["status"] == {"$in": [1, 4]}
    assert query["procedure_code"] == "2.000488"
    # The counts by status ignore the status filter, so every tab shows its number.
    assert base_query(InboxFilter(agency="STP-HNI", statuses=[4]))["status"] == {"$gte": 1}


def test_search_by_receipt_code_prefix_or_name_without_diacritics() -> None:
    query = inbox_query(InboxFilter(agency="STP-HNI", q="  Nguyễn Văn "))
    assert query["$or"] == [
        {"receipt_code": {"$regex": "^NGUYỄN\\ VĂN"}},
        {"owner_search": {"$regex": "nguyen\\ van"}},
    ]
    code = inbox_query(InboxFilter(agency="STP-HNI", q="stp-hni-261130"))["$or"][0]
    assert code == {"receipt_code": {"$regex": "^STP\\-HNI\\-261130"}}


def test_search_text_is_escaped() -> None:
    query = inbox_query(InboxFilter(agency="X", q=".*"))
    assert query["$or"][1] == {"owner_search": {"$regex": "\\.\\*"}}


def test_deadline_queries() -> None:
    inbox = InboxFilter(agency="STP-HNI")
    overdue = overdue_query(inbox, NOW)
    assert overdue["deadline_running"] is True
    assert overdue["due_at"] == {"$lt": NOW}
    today = due_today_query(inbox, NOW)
    # Due today: from now to the end of Monday in Vietnam (17:00 UTC).
    assert today["due_at"] == {"$gte": NOW, "$lt": datetime(2026, 11, 30, 17, 0, tzinfo=UTC)}


def test_counts_are_one_aggregation_grouped_by_status() -> None:
    pipeline = status_counts_pipeline(InboxFilter(agency="STP-HNI", procedure_code="P"))
    assert pipeline[0] == {
        "$match": {"status": {"$gte": 1}, "agency_code": "STP-HNI", "procedure_code": "P"}
    }
    assert pipeline[1] == {"$group": {"_id": "$status", "count": {"$sum": 1}}}


def test_overdue_and_due_today_sort_first() -> None:
    assert INBOX_SORT[0] == ("deadline_running", -1)
    assert INBOX_SORT[1] == ("due_at", 1)


class FakeDossiers:
    """Records the queries the service sends; answers with fixed numbers."""

    def __init__(self) -> None:
        self.finds: list[tuple[dict[str, Any], int, int]] = []
        self.counts: list[dict[str, Any]] = []
        self.pipelines: list[list[dict[str, Any]]] = []

    async def inbox(self, query: dict[str, Any], *, limit: int, offset: int) -> list[Any]:
        self.finds.append((query, limit, offset))
        return []

    async def count(self, query: dict[str, Any]) -> int:
        self.counts.append(query)
        return len(self.counts)

    async def counts_by_status(self, pipeline: list[dict[str, Any]]) -> dict[int, int]:
        self.pipelines.append(pipeline)
        return {1: 3, 4: 2}


async def test_the_service_asks_one_page_the_total_counts_and_deadlines() -> None:
    fake = FakeDossiers()
    service = DossierService(
        dossiers=fake,  # type: ignore[arg-type]
        procedures=None,  # type: ignore[arg-type]
        counters=None,  # type: ignore[arg-type]
        attachments=None,  # type: ignore[arg-type]
        vault=None,  # type: ignore[arg-type]
        eforms=None,  # type: ignore[arg-type]
        validator=None,  # type: ignore[arg-type]
        nudge=lambda _: None,
    )
    officer = Principal(sub="o", roles=frozenset({"officer"}), agency="STP-HNI")
    inbox = InboxFilter(agency="STP-HNI", statuses=[1], q="an")
    page = await service.inbox(officer, inbox, limit=10, offset=20)
    assert fake.finds == [(inbox_query(inbox), 10, 20)]
    assert fake.pipelines == [status_counts_pipeline(inbox)]
    assert fake.counts[0] == inbox_query(inbox)
    assert fake.counts[1]["due_at"].keys() == {"$lt"}
    assert fake.counts[2]["due_at"].keys() == {"$gte", "$lt"}
    assert (page.total, page.overdue, page.due_today) == (1, 2, 3)
    assert page.counts == {1: 3, 4: 2}
