"""The officer's flow in a browser, from "Mới đăng ký" to "Đã trả kết quả".

A citizen submits; the officer accepts and asks for a supplement with a note; the citizen
supplies it and resubmits; the officer processes, uploads the result, signs it on the phone with
their own certificate, completes and returns the dossier. The citizen reads each change in
"Thông báo", received exactly one e-mail per status change (Mailpit), and finds the signed
result in the vault, validated as signed by the officer; "Thống kê" counts the dossier.
An officer of another agency neither finds nor acts on it, in the console or through the API."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, expect

from hoso_testing.endpoints import Endpoints
from hoso_testing.files import sample_pdf
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.mailbox import Mailbox

from .conftest import Screens, new_context
from .test_flow1_browser import (
    APPROVAL_WAIT_MS,
    answer_on_phone,
    keep_still,
    log_in,
    log_in_on_phone,
    upload_and_sign,
)
from .test_flow2_browser import component, open_procedure, submit_and_read_receipt

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(1200)]

DECLARATION = "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"
ID_CARD = "Căn cước công dân"
# Each change of the dossier's status: submitted, accepted, supplement asked, resubmitted,
# processing, completed, returned.
STATUS_CHANGES = 7
STEP_TIMEOUT_S = 120.0


class Unrecorded(Screens):
    """The citizen's steps up to the receipt are recorded by the flow tests; not again here."""

    def __init__(self) -> None:
        self.count = 0

    async def shot(self, page: Page, step: str) -> None:
        return None


@pytest_asyncio.fixture
async def browser_officer(browser: Browser, endpoints: Endpoints) -> AsyncIterator[BrowserContext]:
    """The officer's own browser, beside the citizen's."""
    context = await new_context(browser, endpoints)
    yield context
    await context.close()


async def officer_log_in(page: Page, officer: TestUser, screens: Screens) -> None:
    await page.goto("/")
    await page.get_by_role("link", name="Đăng nhập").first.click()
    await page.get_by_label(re.compile("Tên đăng nhập")).fill(officer.username)
    await page.get_by_label("Mật khẩu", exact=True).fill(officer.password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", name="Hồ sơ cần xử lý")).to_be_visible()
    await expect(page.get_by_role("link", name="Hồ sơ cần xử lý")).to_be_visible()
    await screens.shot(page, "console-inbox")


async def open_in_console(page: Page, receipt: str, screens: Screens, step: str) -> None:
    """Search the inbox by receipt code and open the dossier."""
    await page.get_by_role("link", name="Hồ sơ cần xử lý").first.click()
    await page.get_by_label("Mã hồ sơ hoặc tên công dân").fill(receipt)
    await page.get_by_role("button", name="Tìm kiếm").click()
    rows = page.get_by_role("row").filter(has_text=receipt)
    await expect(rows).to_have_count(1)
    await screens.shot(page, f"{step}-inbox")
    await rows.get_by_role("link", name=receipt).click()
    await expect(page.get_by_role("heading", name="Xử lý hồ sơ")).to_be_visible()
    await screens.shot(page, f"{step}-dossier")


async def test_an_officer_works_a_dossier_to_the_returned_signed_result(
    desktop: BrowserContext,
    phone_screen: BrowserContext,
    browser_officer: BrowserContext,
    endpoints: Endpoints,
    person: TestUser,
    idp: IdpClient,
    ca_api: httpx.AsyncClient,
    screens: Screens,
) -> None:
    # The citizen signs the declaration in the vault, then submits the dossier with it.
    quiet = Unrecorded()
    page = await desktop.new_page()
    await log_in(page, person, quiet)
    name = f"Tờ khai lý lịch tư pháp {uuid.uuid4().hex[:6]}"
    await upload_and_sign(page, name, sample_pdf("To khai LLTP"), quiet)
    phone = await phone_screen.new_page()
    await keep_still(phone)
    await log_in_on_phone(phone, person, quiet)
    await answer_on_phone(phone, name, "Đồng ý ký", quiet)
    await phone.close()
    await expect(page.get_by_role("status")).to_contain_text(
        "Ký số thành công", timeout=APPROVAL_WAIT_MS
    )
    await open_procedure(page, "ly lich tu phap", "Cấp Phiếu lý lịch tư pháp", quiet)
    declaration = component(page, DECLARATION)
    await declaration.get_by_label("Từ Hồ sơ điện tử").select_option(label=f"{name} (đã ký số)")
    await declaration.get_by_role("button", name=re.compile("Đính kèm")).click()
    await expect(component(page, DECLARATION)).to_contain_text("Từ Hồ sơ điện tử")
    id_card = component(page, ID_CARD)
    await id_card.get_by_label("Từ máy tính").set_input_files(
        {"name": "cccd-mo.pdf", "mimeType": "application/pdf", "buffer": sample_pdf("CCCD mo")}
    )
    await id_card.get_by_role("button", name=re.compile("Tải lên")).click()
    await expect(component(page, ID_CARD)).to_contain_text("cccd-mo.pdf")
    receipt = await submit_and_read_receipt(page, screens)

    # The officer of the agency finds it, sees the signature report, and accepts it. They sign
    # with their own certificate at the CA, enrolled like a citizen.
    officer = await idp.officer(
        "STP-HNI",
        f"Lê Văn {random.choice(('Cường', 'Hải', 'Nam'))}",
        citizen_id=f"001085{random.randint(0, 999_999):06d}",
    )
    enrolled = await ca_api.post(
        "/sandbox/users", json={"user_id": officer.citizen_id, "name": officer.name.upper()}
    )
    assert enrolled.status_code in (200, 201), enrolled.text
    console = await browser_officer.new_page()
    await officer_log_in(console, officer, screens)
    await open_in_console(console, receipt, screens, "new")
    report = component(console, DECLARATION)
    await expect(report).to_contain_text("Chữ ký số hợp lệ")
    await expect(report).to_contain_text(re.compile(re.escape(person.name), re.IGNORECASE))
    await expect(report.locator("iframe")).to_have_attribute("src", re.compile("/xem$"))
    viewed = await console.request.get(await report.locator("iframe").get_attribute("src") or "")
    assert viewed.ok and (await viewed.body()).startswith(b"%PDF")
    assert viewed.headers["content-disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in viewed.headers["content-security-policy"]
    await expect(console.get_by_role("button", name="Chuyển xử lý")).to_have_count(0)
    await console.get_by_role("button", name="Tiếp nhận", exact=True).click()
    await expect(console.get_by_text("Đã thực hiện: Tiếp nhận")).to_be_visible()
    await screens.shot(console, "accepted")

    # "Yêu cầu bổ sung" needs a note: sent empty (past the browser's check), it is asked for.
    note_field = console.get_by_label(re.compile("Yêu cầu bổ sung"))
    await note_field.evaluate("el => el.removeAttribute('required')")
    await console.get_by_role("button", name="Yêu cầu bổ sung", exact=True).click()
    await expect(console.get_by_role("alert")).to_contain_text("Nhập lý do")
    await screens.shot(console, "supplement-note-missing")
    note = "Ảnh căn cước công dân bị mờ, vui lòng chụp lại."
    await console.get_by_label(re.compile("Yêu cầu bổ sung")).fill(note)
    await console.get_by_role("button", name="Yêu cầu bổ sung", exact=True).click()
    await expect(console.get_by_text("Yêu cầu bổ sung giấy tờ").first).to_be_visible()
    await screens.shot(console, "supplement-asked")

    # The citizen reads the note, replaces the file and presses "Nộp bổ sung".
    await page.get_by_role("link", name="Xem hồ sơ").click()
    await expect(page.get_by_text(note).first).to_be_visible()
    await screens.shot(page, "citizen-supplement")
    id_card = component(page, ID_CARD)
    await id_card.get_by_label("Từ máy tính").set_input_files(
        {"name": "cccd-ro.pdf", "mimeType": "application/pdf", "buffer": sample_pdf("CCCD ro")}
    )
    await id_card.get_by_role("button", name=re.compile("Tải lên")).click()
    await expect(component(page, ID_CARD)).to_contain_text("cccd-ro.pdf")
    await page.get_by_role("button", name="Nộp bổ sung").click()
    await expect(page.locator("#receipt-code")).to_have_text(receipt)
    await screens.shot(page, "resubmitted")

    # The officer's open page is stale: its action is refused and the fresh status shown.
    await console.get_by_label(re.compile("Dừng xử lý")).fill("Công dân không bổ sung")
    await console.get_by_role("button", name="Dừng xử lý", exact=True).click()
    refused = console.get_by_role("alert")
    await expect(refused).to_contain_text("Hồ sơ vừa thay đổi")
    await expect(refused).to_contain_text("Trạng thái hiện tại: Được tiếp nhận")
    await screens.shot(console, "stale-action-refused")
    await open_in_console(console, receipt, screens, "resubmitted")
    await expect(console.locator("#tom-tat")).to_contain_text("Được tiếp nhận")
    await console.get_by_role("button", name="Chuyển xử lý").click()
    await expect(console.get_by_text("Đã thực hiện: Chuyển xử lý")).to_be_visible()
    await expect(console.locator("#tom-tat")).to_contain_text("Đang xử lý")
    await expect(console.get_by_role("button", name="Hoàn thành")).to_be_visible()
    await screens.shot(console, "processing")
    dossier_url = console.url.split("?")[0]

    await sign_complete_and_return(
        console, dossier_url, receipt, officer, browser_officer, endpoints, screens
    )
    await citizen_receives_it(page, person, officer, receipt, endpoints, screens)
    await statistics_count_it(console, officer, endpoints, screens)

    # Only officers: the citizen's browser gets 403 on the console.
    refused = await page.goto("/can-bo/ho-so")
    assert refused is not None and refused.status == 403
    await expect(page.get_by_role("heading", name="Không có quyền truy cập")).to_be_visible()
    await screens.shot(page, "citizen-refused")

    # An officer of another agency neither finds, opens nor acts on it.
    stranger_context = await new_context(browser_officer.browser, endpoints)  # type: ignore[arg-type]
    try:
        stranger = await stranger_context.new_page()
        await officer_log_in(stranger, await idp.officer("CA-HNI"), quiet)
        await stranger.get_by_label("Mã hồ sơ hoặc tên công dân").fill(receipt)
        await stranger.get_by_role("button", name="Tìm kiếm").click()
        await expect(stranger.get_by_text("Không có hồ sơ nào khớp")).to_be_visible()
        opened = await stranger.goto(dossier_url)
        assert opened is not None and opened.status == 404
        csrf = await stranger.locator("input[name=csrf_token]").first.get_attribute("value")
        acted = await stranger.request.post(
            dossier_url + "/xu-ly",
            form={"csrf_token": csrf or "", "action": "complete", "revision": "0"},
        )
        assert acted.status == 404
        await screens.shot(stranger, "other-agency-not-found")
    finally:
        await stranger_context.close()
    await console.goto(dossier_url)
    await expect(console.locator("#tom-tat")).to_contain_text("Đã trả kết quả")


async def sign_complete_and_return(
    console: Page,
    dossier_url: str,
    receipt: str,
    officer: TestUser,
    browser_officer: BrowserContext,
    endpoints: Endpoints,
    screens: Screens,
) -> None:
    """The officer uploads the result, signs it on their phone, completes and returns it."""
    await console.goto(dossier_url + "/ket-qua")
    await expect(console.get_by_text("Hồ sơ chưa có kết quả giải quyết.")).to_be_visible()
    # "Hoàn thành" is refused while there is no signed result: the reason is shown.
    await console.get_by_role("button", name="Hoàn thành").click()
    await expect(
        console.get_by_text(re.compile("chưa có kết quả giải quyết")).first
    ).to_be_visible()
    await screens.shot(console, "complete-refused")
    await console.get_by_label("Tệp kết quả giải quyết").set_input_files(
        {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": sample_pdf("Ket qua")}
    )
    await console.get_by_role("button", name="Tải lên kết quả").click()
    await expect(console.get_by_text("Đã tải lên tệp kết quả giải quyết.")).to_be_visible()
    await console.get_by_label(re.compile("VNPT")).check()
    await console.get_by_role("button", name="Ký số kết quả").click()
    notice = console.get_by_role("status")
    await expect(notice).to_contain_text("Thông báo chờ xử lý")
    await screens.shot(console, "result-pending")

    # The officer's own phone, apart from the citizen's.
    assert browser_officer.browser is not None
    phone_context = await new_context(browser_officer.browser, endpoints, width=360)
    try:
        phone = await phone_context.new_page()
        await keep_still(phone)
        await log_in_on_phone(phone, officer, screens)
        await answer_on_phone(phone, f"Kết quả giải quyết hồ sơ {receipt}", "Đồng ý ký", screens)
    finally:
        await phone_context.close()
    await expect(notice).to_contain_text("Ký số thành công", timeout=APPROVAL_WAIT_MS)
    await console.get_by_role("link", name="OK").click()
    result = console.locator("#ket-qua")
    await expect(result).to_contain_text("Đã ký số")
    await expect(result).to_contain_text(officer.name.upper())
    await screens.shot(console, "result-signed")
    await console.get_by_role("button", name="Hoàn thành").click()
    await expect(console.get_by_text("Hồ sơ đã được hoàn thành")).to_be_visible()
    await expect(result).to_contain_text("Chữ ký hợp lệ")
    await console.get_by_role("button", name="Trả kết quả").click()
    await expect(console.get_by_text("Đã trả kết quả cho công dân.")).to_be_visible()
    await screens.shot(console, "returned")


async def citizen_receives_it(
    page: Page,
    person: TestUser,
    officer: TestUser,
    receipt: str,
    endpoints: Endpoints,
    screens: Screens,
) -> None:
    """ "Thông báo" holds each change, one e-mail each, and the vault the signed result."""
    await page.goto("/thong-bao")
    notices = page.get_by_role("main")
    for status in (
        "Được tiếp nhận",
        "Yêu cầu bổ sung giấy tờ",
        "Đang xử lý",
        "Đã xử lý xong",
        "Đã trả kết quả",
    ):
        text = f"Hồ sơ {receipt}: {status}"
        for _ in range(int(STEP_TIMEOUT_S / 2)):
            if await notices.get_by_text(text).count():
                break
            await page.wait_for_timeout(2000)
            await page.reload()
        await expect(notices.get_by_text(text).first).to_be_visible()
    await screens.shot(page, "citizen-notices")

    mailbox = Mailbox(f"{endpoints.gateway_url}/mail")
    mails = await mailbox.wait_for(person.email, STATUS_CHANGES + 1, timeout_s=STEP_TIMEOUT_S)
    await asyncio.sleep(3)  # a duplicate would arrive right behind
    mails = await mailbox.messages(person.email)
    subjects = [str(m["Subject"]) for m in mails if receipt in str(m["Subject"])]
    returned = f"Hồ sơ {receipt}: đã có kết quả giải quyết"
    changes = [s.split(": ", 1)[1] for s in subjects if s != returned]
    # one e-mail per status change (in whatever order the sender took them), one for the result
    assert sorted(changes) == sorted(
        [
            "Mới đăng ký",
            "Được tiếp nhận",
            "Yêu cầu bổ sung giấy tờ",
            "Được tiếp nhận",
            "Đang xử lý",
            "Đã xử lý xong",
            "Đã trả kết quả",
        ]
    ), subjects
    assert subjects.count(returned) == 1, subjects

    await page.goto("/ho-so-dien-tu")
    row = page.get_by_role("row").filter(has_text=receipt)
    for _ in range(int(STEP_TIMEOUT_S / 2)):
        if await row.count():
            break
        await page.wait_for_timeout(2000)
        await page.reload()
    await expect(row).to_contain_text("Đã ký số")
    await expect(row).to_contain_text(officer.name.upper())
    await screens.shot(page, "citizen-vault")
    await row.get_by_role("link", name=re.compile("^Kết quả giải quyết")).click()
    await page.get_by_role("link", name="Kiểm tra kết quả ký số").click()
    await expect(page.get_by_role("heading", name="Chữ ký số hợp lệ")).to_be_visible()
    await expect(page.get_by_text(officer.name.upper()).first).to_be_visible()
    await screens.shot(page, "citizen-result-validated")


async def statistics_count_it(
    console: Page, officer: TestUser, endpoints: Endpoints, screens: Screens
) -> None:
    """ "Thống kê": this month's row of the procedure counts a dossier completed on time."""
    month = datetime.now(UTC).astimezone(timezone(timedelta(hours=7))).strftime("%m/%Y")
    deadline = time.monotonic() + STEP_TIMEOUT_S
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=60) as api:
        while True:
            report = (
                await api.get("/api/submission/v1/statistics", headers=officer.headers)
            ).json()
            rows = [r for r in report["rows"] if r["procedure_code"] == "2.000488"]
            if any(r["on_time"] >= 1 for r in rows) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
    assert any(r["on_time"] >= 1 for r in rows), report
    await console.get_by_role("link", name="Thống kê").click()
    await expect(console.get_by_role("heading", name="Thống kê", exact=True)).to_be_visible()
    table_row = console.get_by_role("row").filter(has_text="Cấp Phiếu lý lịch tư pháp")
    await expect(table_row.filter(has_text=month).first).to_be_visible()
    await screens.shot(console, "statistics")
