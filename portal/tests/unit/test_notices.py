"""The "Thông báo" page over the notifications API, the badge and the live hub, with fakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hoso_common.events import NotificationCreated
from hoso_portal.live import LiveEvent, LiveHub, NoticeFeed, sse
from hoso_portal.notices import Notice, notice_from_api
from hoso_portal.sessions import utcnow

from .conftest import PortalHarness

ME = "citizen-1"


def nid(n: int) -> str:
    return f"{n:032x}"


def notice(n: int, sub: str = ME, read: bool = False) -> Notice:
    return Notice(
        id=nid(n),
        sub=sub,
        kind="signing",
        title=f"Thông báo số {n}",
        body="<b>nội dung</b>",
        link=None,
        created_at=utcnow() - timedelta(minutes=100 - n),
        read=read,
    )


def created(recipient: str, unread: int = 1) -> NotificationCreated:
    return NotificationCreated(
        notification_id=nid(1),
        recipient=recipient,
        kind="signing",
        subject_id="doc1",
        unread=unread,
    )


def test_a_notification_of_the_api_reads_as_a_notice() -> None:
    item = {
        "id": nid(7),
        "kind": "dossier",
        "title": "Hồ sơ thay đổi trạng thái",
        "body": "Hồ sơ X: Được tiếp nhận.",
        "link": "/ho-so-da-nop/d1",
        "subject_id": "d1",
        "created_at": "2026-11-30T03:04:05Z",
        "read": False,
        "email": "sent",
    }
    made = notice_from_api(item, ME)
    assert made.id == nid(7) and made.link == "/ho-so-da-nop/d1" and not made.read
    assert made.created_at.tzinfo is not None


def test_the_hub_pushes_to_the_citizen_concerned_and_no_one_else() -> None:
    async def scenario() -> tuple[list[LiveEvent], list[LiveEvent]]:
        hub = LiveHub()
        feed = NoticeFeed(hub, lambda unread: f"<b>{unread}</b>")
        async with hub.subscribe(ME) as mine, hub.subscribe("citizen-2") as theirs:
            feed.push(created(ME))
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
        harness.notices.notices[nid(n)] = notice(n)
    harness.notices.notices[nid(99)] = notice(99, sub="citizen-2")
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
    harness.notices.notices[nid(1)] = notice(1)
    harness.notices.notices[nid(2)] = notice(2)
    harness.notices.notices[nid(3)] = notice(3, sub="citizen-2")
    harness.login()
    mine, other, theirs = nid(1), nid(2), nid(3)
    forged = harness.client.post(f"/thong-bao/{mine}/da-doc", data={})
    assert forged.status_code == 403 and not harness.notices.notices[mine].read
    one = harness.client.post(f"/thong-bao/{mine}/da-doc", data={"csrf_token": harness.csrf()})
    assert one.status_code == 303
    assert harness.notices.notices[mine].read and not harness.notices.notices[other].read
    harness.client.post(f"/thong-bao/{theirs}/da-doc", data={"csrf_token": harness.csrf()})
    assert not harness.notices.notices[theirs].read
    harness.client.post("/thong-bao/da-doc", data={"csrf_token": harness.csrf()})
    assert harness.notices.notices[other].read and not harness.notices.notices[theirs].read
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


def test_the_notices_go_with_the_callers_own_token(harness: PortalHarness) -> None:
    harness.login()
    harness.client.get("/thong-bao")
    assert harness.notices.tokens and all(t.startswith("access-") for t in harness.notices.tokens)


def test_pages_work_while_the_notifications_service_is_away(harness: PortalHarness) -> None:
    harness.login()
    harness.notices.down = True
    page = harness.client.get("/ho-so-dien-tu")
    assert page.status_code == 200 and 'class="badge"' not in page.text
    listing = harness.client.get("/thong-bao")
    assert listing.status_code == 503
