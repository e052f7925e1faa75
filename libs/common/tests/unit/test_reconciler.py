"""The reconciler against fake ports: what it asks about, how often, and what it reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hoso_common.events import SignStatusQueried
from hoso_common.reconciler import SignReconciler, Waiting

START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class FakeSource:
    """Items in "signing" since a given time, as the service's repository would list them."""

    def __init__(self) -> None:
        self.items: dict[str, Waiting] = {}
        self.cutoffs: list[datetime] = []

    async def find_waiting(self, before: datetime, limit: int) -> list[Waiting]:
        self.cutoffs.append(before)
        return [item for item in self.items.values() if item.since < before][:limit]


class FakeSigning:
    def __init__(self) -> None:
        self.queries: list[SignStatusQueried] = []

    async def ask(self, query: SignStatusQueried) -> None:
        self.queries.append(query)


def reconciler(source: FakeSource, signing: FakeSigning, clock: Clock) -> SignReconciler:
    return SignReconciler(
        source="documents",
        find_waiting=source.find_waiting,
        ask=signing.ask,
        wait_s=420,
        ask_again_s=120,
        clock=clock,
    )


async def test_only_items_waiting_past_the_bound_are_asked_about() -> None:
    source, signing, clock = FakeSource(), FakeSigning(), Clock()
    source.items["old"] = Waiting("doc-old", "r-old", START - timedelta(seconds=421))
    source.items["new"] = Waiting("doc-new", "r-new", START - timedelta(seconds=60))
    assert await reconciler(source, signing, clock).run_once() == 1
    assert source.cutoffs == [START - timedelta(seconds=420)]
    [query] = signing.queries
    assert (query.request_id, query.source, query.source_id) == ("r-old", "documents", "doc-old")


async def test_an_unanswered_item_is_asked_about_again_later_not_at_every_pass() -> None:
    source, signing, clock = FakeSource(), FakeSigning(), Clock()
    source.items["old"] = Waiting("doc-old", "r-old", START - timedelta(hours=1))
    subject = reconciler(source, signing, clock)
    await subject.run_once()
    clock.now += timedelta(seconds=30)
    await subject.run_once()
    assert len(signing.queries) == 1
    clock.now += timedelta(seconds=120)
    await subject.run_once()
    assert len(signing.queries) == 2


async def test_repairs_are_reported() -> None:
    source, signing, clock = FakeSource(), FakeSigning(), Clock()
    source.items["old"] = Waiting("doc-old", "r-old", START - timedelta(hours=1))
    subject = reconciler(source, signing, clock)
    await subject.run_once()
    # The answer arrives through the normal SignCompleted handler, which reports the repair.
    del source.items["old"]
    subject.repaired("doc-old", "r-old", "signed")
    await subject.run_once()
    report = subject.report()
    assert report["passes"] == 2
    assert report["asked_total"] == 1
    assert report["repaired_total"] == 1
    assert report["waiting_past_bound"] == 0
    assert report["recent_repairs"][0]["source_id"] == "doc-old"
    assert report["recent_repairs"][0]["outcome"] == "signed"
