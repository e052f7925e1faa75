"""Browser fixtures: Debian's chromium driven by Playwright, the CA's phone page, screenshots."""

from __future__ import annotations

import os
import random
import re
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient, TestUser

from .a11y import assert_accessible

CHROMIUM = os.environ.get("HOSO_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "browser"
# Debian's chromium, quiet: no sandbox (root in CI), no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A loaded 2-core machine: generous waits, each one still bounded.
ACTION_TIMEOUT_MS = 90_000
NARROW_WIDTH = 360
expect.set_options(timeout=ACTION_TIMEOUT_MS)
SHORT_REQUEST_TTL_S = 20.0
# Contexts with JavaScript off: axe-core runs in the page, so their pages are checked in the
# runs with JavaScript on (the same pages).
WITHOUT_JAVASCRIPT: weakref.WeakSet[BrowserContext] = weakref.WeakSet()
GIVEN_NAMES = ("An", "Bình", "Cường", "Dũng", "Hùng", "Khoa", "Long", "Minh")


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: run `make up` (stack/install.sh installs it)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="session")
async def ca_api(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=endpoints.ca_url, timeout=30) as client:
        yield client


@pytest_asyncio.fixture
async def short_approval_window(ca_api: httpx.AsyncClient) -> AsyncIterator[float]:
    """Sign requests opened during the test lapse after 20 s instead of the CA's minutes."""
    previous = (await ca_api.get("/sandbox/request-ttl")).json()["ttl_s"]
    changed = await ca_api.post("/sandbox/request-ttl", json={"ttl_s": SHORT_REQUEST_TTL_S})
    changed.raise_for_status()
    try:
        yield SHORT_REQUEST_TTL_S
    finally:
        await ca_api.post("/sandbox/request-ttl", json={"ttl_s": previous})


@pytest_asyncio.fixture
async def person(idp: IdpClient, ca_api: httpx.AsyncClient) -> TestUser:
    """A new citizen with a password for the IdP's page, enrolled at the CA for signing."""
    citizen_id = f"001090{random.randint(0, 999_999):06d}"
    user = await idp.citizen(f"Nguyễn Văn {random.choice(GIVEN_NAMES)}", citizen_id=citizen_id)
    enrolled = await ca_api.post(
        # Certificates carry the holder's name in capitals, as Vietnamese CAs issue them.
        "/sandbox/users",
        json={"user_id": user.citizen_id, "name": user.name.upper()},
    )
    assert enrolled.status_code in (200, 201), enrolled.text
    return user


class Screens:
    """Saves a full-page screenshot of every step under .artifacts/browser/<test>/, and checks
    every portal page it shows with axe-core (with JavaScript on)."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def shot(self, page: Page, step: str) -> None:
        """The step as it looks on the page's screen and, for desktops, on a 360 px phone."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        await page.screenshot(path=str(path), full_page=True)
        size = page.viewport_size
        if size and size["width"] > NARROW_WIDTH:
            await page.set_viewport_size({"width": NARROW_WIDTH, "height": size["height"]})
            narrow = self.folder / f"{self.count:02d}-{step}-{NARROW_WIDTH}px.png"
            await page.screenshot(path=str(narrow), full_page=True)
            await page.set_viewport_size(size)
        if page.context not in WITHOUT_JAVASCRIPT:
            await assert_accessible(page, step)


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    return Screens(request.node.name)


async def new_context(
    browser: Browser, endpoints: Endpoints, *, javascript: bool = True, width: int = 1280
) -> BrowserContext:
    context = await browser.new_context(
        base_url=endpoints.gateway_url,
        java_script_enabled=javascript,
        viewport={"width": width, "height": 900},
        locale="vi-VN",
        accept_downloads=True,
    )
    if not javascript:
        WITHOUT_JAVASCRIPT.add(context)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(2 * ACTION_TIMEOUT_MS)
    return context


@pytest_asyncio.fixture
async def desktop(browser: Browser, endpoints: Endpoints) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, endpoints)
    yield context
    await context.close()


@pytest_asyncio.fixture
async def no_js(browser: Browser, endpoints: Endpoints) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, endpoints, javascript=False)
    yield context
    await context.close()


@pytest_asyncio.fixture
async def phone_screen(browser: Browser, endpoints: Endpoints) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, endpoints, width=360)
    yield context
    await context.close()
