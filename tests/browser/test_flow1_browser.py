"""Flow 1 in a browser, as a citizen does it: the IdP's login page, the portal, the CA's phone."""

from __future__ import annotations

import hashlib
import re
import time
import uuid

import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from hoso_testing.files import sample_pdf
from hoso_testing.identity import TestUser

from .conftest import Screens

# A whole flow through Keycloak, the portal, the services and the CA: minutes on a loaded machine.
pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(900)]

# the CA keeps a request open for minutes; the person approves within this
APPROVAL_WAIT_MS = 120_000


async def log_in(page: Page, person: TestUser, screens: Screens) -> None:
    """Open the portal, press "Đăng nhập", and log in on the IdP's own page."""
    await page.goto("/")
    await screens.shot(page, "home")
    await page.get_by_role("link", name="Đăng nhập").first.click()
    await page.get_by_label(re.compile("Tên đăng nhập")).fill(person.username)
    await page.get_by_label("Mật khẩu", exact=True).fill(person.password)
    await screens.shot(page, "idp-login")
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", name="Hồ sơ điện tử")).to_be_visible()
    await expect(page.get_by_text(person.name)).to_be_visible()


async def upload_and_sign(page: Page, name: str, pdf: bytes, screens: Screens) -> None:
    await page.get_by_role("link", name="+ Tải tài liệu mới").click()
    await page.get_by_label("Tên giấy tờ").fill(name)
    await page.get_by_label("File đính kèm").set_input_files(
        {"name": "bang-tot-nghiep.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    await page.get_by_label(re.compile("VNPT")).check()
    await screens.shot(page, "upload-form")
    await page.get_by_role("button", name="Ký số").click()


async def keep_still(phone: Page) -> None:
    """The phone page refreshes itself every 5 s; on a loaded machine a refresh can replace the
    page under a press, so the test reloads it itself (as a person pulling to refresh)."""

    async def without_refresh(route: Route) -> None:
        response = await route.fetch()
        body = re.sub(r"<meta http-equiv=refresh[^>]*>", "", await response.text())
        await route.fulfill(response=response, body=body)

    await phone.route(re.compile(r".*/ca/phone(\?.*)?$"), without_refresh)


async def log_in_on_phone(phone: Page, person: TestUser, screens: Screens) -> None:
    """The citizen opens the CA's app on the phone: it asks for the same IdP login."""
    await phone.goto("/ca/phone")
    await phone.get_by_label(re.compile("Tên đăng nhập")).fill(person.username)
    await phone.get_by_label("Mật khẩu", exact=True).fill(person.password)
    await screens.shot(phone, "phone-idp-login")
    await phone.get_by_role("button", name="Đăng nhập").click()
    await expect(phone.get_by_text(f"Đã đăng nhập: {person.name}")).to_be_visible()


async def answer_on_phone(phone: Page, name: str, button: str, screens: Screens) -> None:
    """The citizen's phone: the CA's page lists the request; they press approve or reject."""
    row = phone.get_by_role("listitem").filter(has_text=name)
    deadline = time.monotonic() + APPROVAL_WAIT_MS / 1000
    while True:
        await phone.goto("/ca/phone")
        if await row.count():
            break
        assert time.monotonic() < deadline, "the request never reached the phone"
        await phone.wait_for_timeout(2000)
    await screens.shot(phone, "phone")
    await row.get_by_role("button", name=button).click()
    await expect(phone.locator("#notice")).to_be_visible()


async def test_flow1_approved_with_javascript(
    desktop: BrowserContext, phone_screen: BrowserContext, person: TestUser, screens: Screens
) -> None:
    page = await desktop.new_page()
    streams: list[str] = []
    page.on(
        "response",
        lambda r: (
            streams.append(r.url)
            if r.headers.get("content-type", "").startswith("text/event-stream")
            else None
        ),
    )
    await log_in(page, person, screens)
    await screens.shot(page, "vault-empty")

    name = f"Bằng tốt nghiệp {uuid.uuid4().hex[:6]}"
    original = sample_pdf("Bang tot nghiep")
    await upload_and_sign(page, name, original, screens)

    notice = page.get_by_role("status")
    await expect(notice).to_contain_text("Thông báo chờ xử lý")
    await expect(page.locator("[data-countdown]")).to_be_visible()
    first = await page.locator("[data-countdown]").text_content()
    await screens.shot(page, "pending")

    phone = await phone_screen.new_page()
    await keep_still(phone)
    await log_in_on_phone(phone, person, screens)
    await answer_on_phone(phone, name, "Đồng ý ký", screens)
    await screens.shot(phone, "phone-answered")
    # Logging out on the phone ends its session there and at the IdP: the login form again.
    await phone.get_by_role("button", name="Đăng xuất").click()
    await expect(phone.get_by_label("Mật khẩu", exact=True)).to_be_visible()
    await screens.shot(phone, "phone-logged-out")

    # no reload: the live stream's signing event makes htmx swap the notice in place, and the
    # header's count of unread notices goes up with it
    url_before = page.url
    await expect(notice).to_contain_text("Ký số thành công", timeout=APPROVAL_WAIT_MS)
    assert page.url == url_before
    assert first
    assert any(url.endswith("/thong-bao/luong") for url in streams)
    await expect(page.locator("#notice-badge")).to_contain_text("1")
    await screens.shot(page, "success")
    await page.get_by_role("link", name="OK").click()

    await screens.shot(page, "document")
    await page.get_by_role("button", name="Lưu").click()
    await expect(page.get_by_text("Đã lưu giấy tờ")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=name)
    await expect(row).to_contain_text("Đã ký số")
    # The signer as the certificate names them (Vietnamese CAs issue names in capitals).
    await expect(row).to_contain_text(re.compile(re.escape(person.name), re.IGNORECASE))
    await screens.shot(page, "vault-saved")

    async with page.expect_download() as waiting:
        await row.get_by_role("link", name=re.compile("Tải tệp")).click()
    download = await waiting.value
    signed = (await download.path()).read_bytes()  # type: ignore[union-attr]
    assert signed.startswith(b"%PDF") and signed != original
    assert hashlib.sha256(signed).hexdigest() != hashlib.sha256(original).hexdigest()

    await row.get_by_role("link", name=name, exact=True).click()
    await page.get_by_role("link", name="Kiểm tra kết quả ký số").click()
    await expect(page.get_by_role("heading", name="Chữ ký số hợp lệ")).to_be_visible()
    await expect(page.get_by_text("Tổ chức cấp chứng thư")).to_be_visible()
    await screens.shot(page, "signatures")

    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.get_by_role("link", name="Đăng nhập").first).to_be_visible()
    await page.goto("/ho-so-dien-tu")
    assert "/auth/realms/hoso/" in page.url  # the IdP's session ended too
    await screens.shot(page, "logged-out")


async def test_flow1_rejected_then_retry_without_javascript(
    no_js: BrowserContext, phone_screen: BrowserContext, person: TestUser, screens: Screens
) -> None:
    page = await no_js.new_page()
    await log_in(page, person, screens)
    name = f"Hộ chiếu {uuid.uuid4().hex[:6]}"
    await upload_and_sign(page, name, sample_pdf("Ho chieu"), screens)
    await expect(page.get_by_role("status")).to_contain_text("Thông báo chờ xử lý")
    await screens.shot(page, "pending-no-js")

    phone = await phone_screen.new_page()
    await keep_still(phone)
    await log_in_on_phone(phone, person, screens)
    await answer_on_phone(phone, name, "Từ chối", screens)

    # without JavaScript the page refreshes itself (meta refresh inside <noscript>)
    deadline = time.monotonic() + APPROVAL_WAIT_MS / 1000
    status = page.get_by_role("status")
    while "từ chối" not in ((await status.text_content()) or "").lower():
        assert time.monotonic() < deadline, "the rejection never showed"
        await page.wait_for_timeout(1000)
    await expect(page.get_by_role("button", name="Thử lại")).to_be_visible()
    await screens.shot(page, "rejected")

    await page.get_by_role("button", name="Thử lại").click()
    await expect(page.get_by_role("status")).to_contain_text("Thông báo chờ xử lý")
    await answer_on_phone(phone, name, "Đồng ý ký", screens)
    deadline = time.monotonic() + APPROVAL_WAIT_MS / 1000
    while "thành công" not in ((await status.text_content()) or ""):
        assert time.monotonic() < deadline, "the success never showed"
        await page.wait_for_timeout(1000)
    await screens.shot(page, "success-no-js")
    await page.get_by_role("link", name="OK").click()
    await page.get_by_role("button", name="Lưu").click()
    await expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("Đã ký số")
    await screens.shot(page, "vault-no-js")


async def test_flow1_expired_turns_the_notice_live(
    desktop: BrowserContext, person: TestUser, screens: Screens, short_approval_window: float
) -> None:
    """Nobody approves: the CA lets the request lapse and the open page says so by itself."""
    page = await desktop.new_page()
    await log_in(page, person, screens)
    name = f"Giấy khai sinh {uuid.uuid4().hex[:6]}"
    await upload_and_sign(page, name, sample_pdf("Giay khai sinh"), screens)
    notice = page.get_by_role("status")
    await expect(notice).to_contain_text("Thông báo chờ xử lý")
    await screens.shot(page, "pending-expiring")
    url_before = page.url
    await expect(notice).to_contain_text("hết hạn", timeout=APPROVAL_WAIT_MS)
    assert page.url == url_before
    await expect(page.get_by_role("button", name="Thử lại")).to_be_visible()
    await screens.shot(page, "expired")

    await page.get_by_role("link", name="Thông báo", exact=True).click()
    await expect(page.get_by_role("heading", name="Yêu cầu ký số đã hết hạn")).to_be_visible()
    await screens.shot(page, "notices")
    await page.get_by_role("button", name="Đánh dấu tất cả đã đọc").click()
    await expect(page.locator("#notice-badge .badge")).to_have_count(0)
    await screens.shot(page, "notices-read")
