"""Officers read "Thống kê" in a browser, with and without JavaScript; citizens may not."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, expect

from hoso_testing.identity import IdpClient, TestUser

from .conftest import Screens

pytestmark = pytest.mark.browser


async def log_in_to(page: Page, user: TestUser, path: str) -> None:
    await page.goto(f"/login?next={path}")
    await page.get_by_label(re.compile("Tên đăng nhập")).fill(user.username)
    await page.get_by_label("Mật khẩu", exact=True).fill(user.password)
    await page.get_by_role("button", name="Đăng nhập").click()


async def test_an_officer_reads_the_statistics_with_charts_and_tables(
    desktop: BrowserContext, no_js: BrowserContext, idp: IdpClient, screens: Screens
) -> None:
    officer = await idp.officer("STP-HNI", "Trần Thị Thống Kê")
    page = await desktop.new_page()
    await log_in_to(page, officer, "/thong-ke")
    await expect(page.get_by_role("heading", name="Thống kê", exact=True)).to_be_visible()
    await expect(page.get_by_text("Cơ quan: STP-HNI")).to_be_visible()
    await expect(
        page.get_by_role("img", name=re.compile("Hồ sơ tiếp nhận mỗi ngày"))
    ).to_be_visible()
    await expect(page.get_by_text("Tỷ lệ đúng hạn").first).to_be_visible()
    await screens.shot(page, "statistics")

    # Without JavaScript the same figures are there: the charts are drawn on the server.
    plain = await no_js.new_page()
    await log_in_to(plain, officer, "/thong-ke")
    await expect(plain.locator("svg.chart").first).to_be_visible()
    await plain.get_by_text("Xem số liệu theo ngày").click()
    await expect(plain.get_by_role("columnheader", name="Hồ sơ tiếp nhận")).to_be_visible()
    await screens.shot(plain, "statistics-no-javascript")


async def test_a_citizen_is_refused_the_statistics(
    desktop: BrowserContext, idp: IdpClient, screens: Screens
) -> None:
    citizen = await idp.citizen("Lê Văn Dân")
    page = await desktop.new_page()
    await log_in_to(page, citizen, "/thong-ke")
    await expect(page.get_by_text("Không có quyền truy cập").first).to_be_visible()
    await screens.shot(page, "statistics-refused")
