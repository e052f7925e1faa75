"""Live notices: a flow-1 signing reaches its citizen's open portal pages over SSE, and only theirs.

Two citizens log in to the portal as a browser does (the portal's own login, through the IdP's
form) and keep the live stream open; one of them signs a document through the APIs and
approves on the CA's phone endpoint. The signer's stream carries the signing event and the
new unread count, the other citizen's stream carries nothing of it, and the notice is kept on
the signer's "Thông báo" page.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from hoso_testing.endpoints import Endpoints
from hoso_testing.files import sample_pdf
from hoso_testing.identity import IdpClient, TestUser

from .api_client import approve_on_phone, enroll, upload_document, wait_for_phone_request
from .test_login import browser_for, form_action

pytestmark = pytest.mark.e2e

SIGNING_WAIT_S = 120


async def portal_login(endpoints: Endpoints, user: TestUser) -> httpx.AsyncClient:
    """A cookie-keeping client logged in to the portal through the IdP's login form."""
    browser = browser_for(endpoints)
    started = await browser.get("/login", params={"next": "/thong-bao"})
    assert started.status_code == 303, started.text
    page = await browser.get(started.headers["location"])
    assert page.status_code == 200, page.text[:500]
    answer = await browser.post(
        form_action(page.text), data={"username": user.username, "password": user.password}
    )
    assert answer.status_code == 302, answer.text[:1000]
    done = await browser.get(answer.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == "/thong-bao", done.text
    return browser


class Stream:
    """The events one open page receives, collected in the background."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.opened = asyncio.Event()
        self.arrived = asyncio.Event()

    async def follow(self, browser: httpx.AsyncClient) -> None:
        name, data = "message", []
        async with browser.stream("GET", "/thong-bao/luong", timeout=None) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            self.opened.set()
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                elif line.startswith("data: "):
                    data.append(line[len("data: ") :])
                elif line == "" and data:
                    self.events.append((name, "\n".join(data)))
                    self.arrived.set()
                    name, data = "message", []

    def named(self, name: str) -> list[str]:
        return [data for event, data in self.events if event == name]


@contextlib.asynccontextmanager
async def open_page(browser: httpx.AsyncClient) -> AsyncIterator[Stream]:
    stream = Stream()
    task = asyncio.create_task(stream.follow(browser))
    try:
        await asyncio.wait_for(stream.opened.wait(), 30)
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_signing_reaches_the_signers_stream_and_no_one_elses(
    endpoints: Endpoints,
    idp: IdpClient,
    gateway: httpx.AsyncClient,
    ca: httpx.AsyncClient,
    citizen: TestUser,
) -> None:
    other = await idp.citizen("Trần Thị Bình", citizen_id=f"079198{random.randint(0, 999_999):06d}")
    await enroll(ca, other)
    mine = await portal_login(endpoints, citizen)
    theirs = await portal_login(endpoints, other)
    try:
        async with open_page(mine) as my_page, open_page(theirs) as their_page:
            # each stream starts with the current unread count
            await asyncio.wait_for(my_page.arrived.wait(), 30)
            assert my_page.named("badge") == [""]

            document = await upload_document(
                gateway,
                citizen,
                name="Giấy khai sinh",
                filename="khai-sinh.pdf",
                content=sample_pdf(),
            )
            request = await wait_for_phone_request(ca, citizen, document["name"])
            await approve_on_phone(ca, citizen, request["transaction_id"])

            async def signing_event() -> None:
                while document["id"] not in my_page.named("signing"):
                    await asyncio.sleep(0.2)

            await asyncio.wait_for(signing_event(), SIGNING_WAIT_S)
            await asyncio.sleep(1)  # the badge follows the signing event
            assert re.search(r'class="badge">1<', my_page.named("badge")[-1])
            assert their_page.named("signing") == []
            assert all('class="badge"' not in badge for badge in their_page.named("badge"))

            notices = await mine.get("/thong-bao")
            assert "Ký số thành công" in notices.text
            assert f'href="/ho-so-dien-tu/{document["id"]}"' in notices.text
            assert "Ký số thành công" not in (await theirs.get("/thong-bao")).text
    finally:
        await mine.aclose()
        await theirs.aclose()
