"""Notices from events, the "Thông báo" page, the badge and the live hub, with fakes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from hoso_common.events import DossierStatusChanged, SignCompleted, new_envelope
from hoso_portal.live import LiveEvent, LiveHub, NoticeFeed, sse
from hoso_portal.notices import Notice, notice_from_event
from hoso_portal.sessions import utcnow

from .conftest import PortalHarness
from .fakes import FakeNotices

ME = "citizen-1"


def signed(sub: str | None, status: str = "signed", doc: str = "doc1") -> dict[str, Any]:
    data = SignCompleted(
        request_id=f"req-{doc}-{status}",
        source="documents",
        source_id=doc,
        status=status,  # type: ignore[arg-type]
        signer_sub=sub,
        failure_reason=None if status == "signed" else status,
    )
    return new_envelope(data, source="/signing").model_dump(mode="json")


def dossier(owner: str | None, to_status: int = 2) -> dict[str, Any]:
    data = DossierStatusChanged(
        dossier_id="dos1",
        receipt_code="000.00.01.H29-261130-0001",
        from_status=1,
        to_status=to_status,
        actor="officer-1",
        owner_id=owner,
        changed_at=datetime(2026, 11, 30, tzinfo=UTC),
    )
    return new_envelope(data, source="/submission").model_dump(mode="json")


def notice(n: int, sub: str = ME, read: bool = False) -> Notice:
    return Notice(
        id=f"n{n}",
        sub=sub,
        kind="signing",
        title=f"Thông báo số {n}",
        body="<b>nội dung</b>",
        link=None,
        created_at=utcnow() - timedelta(minutes=100 - n),
        read=read,
    )


def test_a_signing_event_becomes_a_notice_for_the_signer_only() -> None:
    made = notice_from_event(signed(ME))
    assert made is not None
    assert made.sub == ME and made.title == "Ký số thành công"
    assert made.link == "/ho-so-dien-tu/doc1" and made.subject_id == "doc1"
    rejected = notice_from_event(signed(ME, "rejected"))
    assert rejected is not None and rejected.title == "Yêu cầu ký số đã bị từ chối"


def test_an_event_that_names_no_citizen_is_told_to_nobody() -> None:
    assert notice_from_event(signed(None)) is None
    assert notice_from_event(dossier(None)) is None


def test_a_dossier_change_reads_its_dvcqg_status_in_vietnamese() -> None:
    made = notice_from_event(dossier("citizen-2", to_status=5))
    assert made is not None and made.sub == "citizen-2"
    assert "Yêu cầu bổ sung giấy tờ" in made.body
    assert "000.00.01.H29-261130-0001" in made.body


def test_a_redelivered_or_reconciled_signing_event_is_one_notice() -> None:
    store = FakeNotices()
    feed = NoticeFeed(store, LiveHub(), str)
    event = signed(ME)
    again = dict(event, id="another-event-id")  # signing's reconciled re-announcement
    asyncio.run(feed.store_event(event))
    asyncio.run(feed.store_event(event))
    asyncio.run(feed.store_event(again))
    assert len(store.notices) == 1


def test_the_hub_pushes_to_the_citizen_concerned_and_no_one_else() -> None:
    async def scenario() -> tuple[list[LiveEvent], list[LiveEvent]]:
        store = FakeNotices()
        hub = LiveHub()
        feed = NoticeFeed(store, hub, lambda unread: f"<b>{unread}</b>")
        async with hub.subscribe(ME) as mine, hub.subscribe("citizen-2") as theirs:
            await feed.push_event(signed(ME))
            got_mine = [mine.get_nowait() for _ in range(mine.qsize())]
            got_theirs = [theirs.get_nowait() for _ in range(theirs.qsize())]
        assert hub.connections(ME) == 0
        return [e for e in got_mine if e], [e for e in got_theirs if e]

    mine, theirs = asyncio.run(scenario())
    assert mine == [LiveEvent("signing", "doc1"), LiveEvent("badge", "<b>1</b>")]
    assert theirs == []


def test_a_slow_stream_is_closed_instead_of_growing() -> None:
    async def scenario() -> LiveEvent | None:
        hub = LiveHub()
        async with hub.subscribe(ME) as queue:
            for _ in range(200):
                hub.publish(ME, LiveEvent("signing", "x"))
            last = None
            while not queue.empty():
                last = queue.get_nowait()
            return last

    assert asyncio.run(scenario()) is None


def test_sse_lines_cannot_be_broken_by_the_data() -> None:
    assert sse(LiveEvent("badge", "a\nevent: forged")) == (
        b"event: badge\ndata: a\ndata: event: forged\n\n"
    )


def test_the_notices_page_lists_mine_newest_first_paged_and_escaped(
    harness: PortalHarness,
) -> None:
    for n in range(1, 6):
        harness.notices.notices[f"n{n}"] = notice(n)
    harness.notices.notices["other"] = notice(99, sub="citizen-2")
    harness.login()
    first = harness.client.get("/thong-bao")
    assert first.status_code == 200
    text = first.text
    assert text.index("Thông báo số 5") < text.index("Thông báo số 4") < text.index("số 3")
    assert "Thông báo số 2" not in text and "Thông báo số 99" not in text
    assert "&lt;b&gt;nội dung&lt;/b&gt;" in text and "<b>nội dung</b>" not in text
    assert "Trang 1 / 2" in text
    assert 'class="badge">5<' in text
    second = harness.client.get("/thong-bao", params={"trang": 2})
    assert "Thông báo số 1" in second.text and "Thông báo số 5" not in second.text


def test_marking_read_needs_the_csrf_token_and_touches_only_mine(
    harness: PortalHarness,
) -> None:
    harness.notices.notices["n1"] = notice(1)
    harness.notices.notices["n2"] = notice(2)
    harness.notices.notices["theirs"] = notice(3, sub="citizen-2")
    harness.login()
    forged = harness.client.post("/thong-bao/n1/da-doc", data={})
    assert forged.status_code == 403 and not harness.notices.notices["n1"].read
    one = harness.client.post("/thong-bao/n1/da-doc", data={"csrf_token": harness.csrf()})
    assert one.status_code == 303
    assert harness.notices.notices["n1"].read and not harness.notices.notices["n2"].read
    harness.client.post("/thong-bao/theirs/da-doc", data={"csrf_token": harness.csrf()})
    assert not harness.notices.notices["theirs"].read
    harness.client.post("/thong-bao/da-doc", data={"csrf_token": harness.csrf()})
    assert harness.notices.notices["n2"].read and not harness.notices.notices["theirs"].read
    page = harness.client.get("/thong-bao")
    assert 'class="badge"' not in page.text


def test_the_live_stream_answers_204_when_logged_out(harness: PortalHarness) -> None:
    # 204 tells EventSource to stop reconnecting; a login page would be retried forever
    assert harness.client.get("/thong-bao/luong").status_code == 204


def test_pages_of_a_logged_in_citizen_connect_to_the_stream(harness: PortalHarness) -> None:
    harness.login()
    page = harness.client.get("/ho-so-dien-tu")
    assert 'sse-connect="/thong-bao/luong"' in page.text
    assert '<script src="/static/vendor/sse.min.js" defer></script>' in page.text
    assert "<script>" not in page.text


def test_an_expired_session_sends_to_login_and_back_to_the_page(harness: PortalHarness) -> None:
    harness.login()
    next(iter(harness.store.sessions.values())).expires_at = utcnow() - timedelta(seconds=1)
    response = harness.client.get("/thong-bao", params={"trang": 2})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/thong-bao%3Ftrang%3D2"
    assert harness.login(next_url="/thong-bao?trang=2", code="code2") == "/thong-bao?trang=2"
