"""Pages off the two flows' happy paths — empty lists, the file check, errors — pass axe-core
too (Screens.shot checks each page it shows)."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, expect

from hoso_testing.identity import TestUser

from .conftest import Screens
from .test_flow1_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(600)]

FORGED_POST = """() => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/ho-so-da-nop";
  document.body.appendChild(form);
  form.submit();
}"""


async def test_every_other_page_has_no_serious_accessibility_violation(
    desktop: BrowserContext, person: TestUser, screens: Screens
) -> None:
    page = await desktop.new_page()
    await log_in(page, person, screens)
    await screens.shot(page, "vault-empty")
    await page.get_by_role("link", name="+ Tải tài liệu mới").click()
    await screens.shot(page, "upload-form")
    await page.goto("/kiem-tra-chu-ky")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await screens.shot(page, "check-file")
    await page.goto("/ho-so-da-nop")
    await expect(page.get_by_text("Bạn chưa có hồ sơ nào")).to_be_visible()
    await screens.shot(page, "dossiers-empty")
    await page.goto("/thu-tuc?q=khong+co+thu+tuc+nay")
    await expect(page.get_by_text("Không tìm thấy thủ tục nào")).to_be_visible()
    await screens.shot(page, "procedures-none")
    await page.goto("/khong-co-trang-nay")
    await expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    await screens.shot(page, "not-found")
    await page.goto("/ho-so-da-nop/" + "0" * 32)
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await screens.shot(page, "dossier-not-found")
    # a post without the CSRF token, as another site would send it: refused with a page
    await page.goto("/thu-tuc")
    async with page.expect_navigation():
        await page.evaluate(FORGED_POST)
    await expect(page.get_by_role("heading", name="Biểu mẫu không hợp lệ")).to_be_visible()
    await screens.shot(page, "forged-post-refused")
    await page.goto("/")
    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.get_by_role("link", name="Đăng nhập").first).to_be_visible()
    await screens.shot(page, "home-logged-out")
