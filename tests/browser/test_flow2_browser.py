"""Flow 2 in a browser: a procedure, "Nộp hồ sơ", the e-form, signing it, attaching it, submit."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import BrowserContext, Locator, Page, expect

from hoso_testing.files import sample_pdf
from hoso_testing.identity import TestUser

from .conftest import Screens
from .test_flow1_browser import (
    APPROVAL_WAIT_MS,
    answer_on_phone,
    keep_still,
    log_in,
    log_in_on_phone,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(900)]


async def open_procedure(page: Page, words: str, name: str, screens: Screens) -> None:
    """ "Thủ tục hành chính": search, open the procedure, press "Nộp hồ sơ"."""
    await page.get_by_role("link", name="Thủ tục hành chính").click()
    await page.get_by_label("Tên hoặc mã thủ tục").fill(words)
    await page.get_by_role("button", name="Tìm kiếm").click()
    await screens.shot(page, "procedures")
    await page.get_by_role("link", name=re.compile(re.escape(name))).click()
    await expect(page.get_by_text("Thời hạn giải quyết")).to_be_visible()
    await screens.shot(page, "procedure")
    await page.get_by_role("button", name="Nộp hồ sơ").click()
    await expect(page.get_by_role("heading", name="Thành phần hồ sơ")).to_be_visible()
    await screens.shot(page, "dossier-draft")


def component(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=re.compile(re.escape(name)))


async def address(page: Page, pointer: str, detail: str) -> None:
    """Province, then a commune from the list htmx brings for it, then the street."""
    base = "#f" + pointer.replace("/", "-")
    await page.locator(f"{base}-tinh_thanh").select_option(label="Thành phố Hà Nội")
    communes = page.locator(f"{base}-xa_phuong option")
    await expect(communes.nth(1)).to_be_attached()
    value = await communes.nth(1).get_attribute("value")
    assert value
    await page.locator(f"{base}-xa_phuong").select_option(value)
    await page.locator(f"{base}-dia_chi_chi_tiet").fill(detail)


async def sign_on_phone(
    page: Page, phone_screen: BrowserContext, person: TestUser, title: str, screens: Screens
) -> None:
    await page.get_by_label(re.compile("VNPT")).check()
    await page.get_by_role("button", name="Ký số").click()
    notice = page.get_by_role("status")
    await expect(notice).to_contain_text("Thông báo chờ xử lý")
    await screens.shot(page, "form-pending")
    phone = await phone_screen.new_page()
    await keep_still(phone)
    await log_in_on_phone(phone, person, screens)
    await answer_on_phone(phone, title, "Đồng ý ký", screens)
    await phone.close()
    await expect(notice).to_contain_text("Ký số thành công", timeout=APPROVAL_WAIT_MS)
    await screens.shot(page, "form-signed-notice")
    await page.get_by_role("link", name="OK").click()
    await expect(page.get_by_text("Biểu mẫu đã được ký số")).to_be_visible()
    await screens.shot(page, "form-signed")


async def submit_and_read_receipt(page: Page, screens: Screens) -> str:
    await screens.shot(page, "dossier-ready")
    # a double click: the page's Idempotency-Key makes it one submission
    await page.get_by_role("button", name="Nộp hồ sơ", exact=True).dblclick()
    code = page.locator("#receipt-code")
    await expect(code).to_have_text(re.compile(r"\S+-\d"))
    await screens.shot(page, "receipt")
    return (await code.text_content() or "").strip()


async def test_flow2_eform_sign_download_upload_submit(
    desktop: BrowserContext, phone_screen: BrowserContext, person: TestUser, screens: Screens
) -> None:
    page = await desktop.new_page()
    await log_in(page, person, screens)
    await open_procedure(page, "khai sinh", "Đăng ký khai sinh", screens)

    declaration = component(page, "Tờ khai đăng ký khai sinh")
    await declaration.get_by_role("link", name="Nhập thông tin trực tuyến (E-Form)").click()
    await expect(page.get_by_role("heading", name="Tờ khai đăng ký khai sinh")).to_be_visible()
    await screens.shot(page, "eform-empty")

    # "Thêm" with nothing filled: each error next to its field, and a summary linking to it
    await page.get_by_role("button", name="Thêm", exact=True).click()
    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Có lỗi cần sửa")
    await expect(page.locator("#f-co_quan_tiep_nhan-error")).to_be_visible()
    await screens.shot(page, "eform-errors")
    await summary.get_by_role("link").first.click()
    await expect(page.locator("#f-co_quan_tiep_nhan")).to_be_focused()

    await page.locator("#f-co_quan_tiep_nhan").fill("Ủy ban nhân dân phường Hoàn Kiếm")
    await page.locator("#f-nguoi_yeu_cau-ho_ten").fill(person.name)
    await page.locator("#f-nguoi_yeu_cau-so_dinh_danh").fill(person.citizen_id or "")
    await address(page, "/nguoi_yeu_cau/noi_cu_tru", "Số 12, phố Hàng Bạc")
    await page.locator("#f-nguoi_yeu_cau-quan_he").fill("Cha")
    await page.locator("#f-nguoi_yeu_cau-so_dien_thoai").fill("0912345678")
    await page.locator("#f-nguoi_duoc_khai_sinh-ho_ten").fill("Nguyễn Minh Khang")
    await page.locator("#f-nguoi_duoc_khai_sinh-gioi_tinh").select_option("Nam")
    await page.locator("#f-nguoi_duoc_khai_sinh-ngay_sinh").fill("01/11/2026")
    await page.locator("#f-nguoi_duoc_khai_sinh-noi_sinh").fill("Bệnh viện Phụ sản Hà Nội")
    await page.locator("#f-nguoi_duoc_khai_sinh-dan_toc").select_option("Kinh")
    await page.locator("#f-me-ho_ten").fill("Trần Thị Lan")
    await page.locator("#f-me-ngay_sinh").fill("15/03/1992")
    await page.locator("#f-me-dan_toc").select_option("Kinh")
    await page.locator("#f-me-so_dinh_danh").fill("001192004321")
    await address(page, "/me/noi_cu_tru", "Số 12, phố Hàng Bạc")
    await screens.shot(page, "eform-filled")
    await page.get_by_role("button", name="Thêm", exact=True).click()
    await expect(page.get_by_text("Thực hiện thành công")).to_be_visible()
    await screens.shot(page, "eform-saved")

    # "Cập nhật" edits, "In" gives the PDF
    await page.locator("#f-nguoi_duoc_khai_sinh-que_quan").fill("Hà Nội")
    await page.get_by_role("button", name="Cập nhật").click()
    await expect(page.get_by_text("Thực hiện thành công")).to_be_visible()
    await expect(page.locator("#f-nguoi_duoc_khai_sinh-que_quan")).to_have_value("Hà Nội")
    printed = await page.request.get(
        await page.get_by_role("link", name="In", exact=True).get_attribute("href") or ""
    )
    assert printed.ok and (await printed.body()).startswith(b"%PDF")

    await sign_on_phone(page, phone_screen, person, "Tờ khai đăng ký khai sinh", screens)
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Tải tệp").click()
    signed = (await (await waiting.value).path()).read_bytes()  # type: ignore[union-attr]
    assert signed.startswith(b"%PDF")

    # "Đóng", then "Từ máy tính" with the file just downloaded
    await page.get_by_role("link", name="Đóng").click()
    declaration = component(page, "Tờ khai đăng ký khai sinh")
    await declaration.get_by_label("Từ máy tính").set_input_files(
        {"name": "to-khai-da-ky.pdf", "mimeType": "application/pdf", "buffer": signed}
    )
    await declaration.get_by_role("button", name=re.compile("Tải lên")).click()
    await expect(page.get_by_text("Thực hiện thành công")).to_be_visible()
    declaration = component(page, "Tờ khai đăng ký khai sinh")
    await expect(declaration).to_contain_text("to-khai-da-ky.pdf")
    await screens.shot(page, "declaration-attached")

    birth = component(page, "Giấy chứng sinh")
    await birth.get_by_label("Từ máy tính").set_input_files(
        {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": sample_pdf("GCS")}
    )
    await birth.get_by_role("button", name=re.compile("Tải lên")).click()
    await expect(component(page, "Giấy chứng sinh")).to_contain_text("giay-chung-sinh.pdf")

    receipt = await submit_and_read_receipt(page, screens)
    await page.get_by_role("link", name="Hồ sơ đã nộp").first.click()
    rows = page.get_by_role("row").filter(has_text=receipt)
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("Mới đăng ký")
    await screens.shot(page, "dossiers")
    await rows.get_by_role("link", name=receipt).click()
    await expect(page.get_by_role("heading", name="Quá trình xử lý")).to_be_visible()
    await screens.shot(page, "dossier-submitted")


async def test_flow2_signed_eform_attached_directly_then_withdrawn(
    desktop: BrowserContext, phone_screen: BrowserContext, person: TestUser, screens: Screens
) -> None:
    page = await desktop.new_page()
    await log_in(page, person, screens)
    title = "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"
    await open_procedure(page, "ly lich tu phap", "Cấp Phiếu lý lịch tư pháp", screens)
    await (
        component(page, title)
        .get_by_role("link", name="Nhập thông tin trực tuyến (E-Form)")
        .click()
    )

    await page.locator("#f-co_quan_tiep_nhan").fill("Sở Tư pháp thành phố Hà Nội")
    await page.locator("#f-ho_ten").fill(person.name)
    await page.locator("#f-gioi_tinh").select_option("Nam")
    # the citizen id's digits carry the sex and the year of birth: 0 = male, 90 = 1990
    await page.locator("#f-ngay_sinh").fill("05/09/1990")
    await page.locator("#f-noi_sinh").fill("Hà Nội")
    await page.locator("#f-dan_toc").select_option("Kinh")
    await page.locator("#f-so_dinh_danh").fill(person.citizen_id or "")
    await address(page, "/noi_thuong_tru", "Số 5, phố Tràng Tiền")
    await page.locator("#f-so_dien_thoai").fill("0912345678")
    # a repeated group: one row of "Quá trình cư trú"
    await page.get_by_role("button", name=re.compile("^Thêm dòng")).click()
    await expect(page.locator("#f-qua_trinh_cu_tru-0-tu_ngay")).to_be_visible()
    await page.locator("#f-qua_trinh_cu_tru-0-tu_ngay").fill("05/09/2004")
    await page.locator("#f-qua_trinh_cu_tru-0-noi_cu_tru").fill("Hà Nội")
    await page.locator("#f-loai_phieu").select_option(index=1)
    await page.locator("#f-muc_dich").fill("Bổ sung hồ sơ xin việc")
    await page.locator("#f-so_luong").fill("1")
    await screens.shot(page, "eform-filled")
    await page.get_by_role("button", name="Thêm", exact=True).click()
    await expect(page.get_by_text("Thực hiện thành công")).to_be_visible()

    await sign_on_phone(page, phone_screen, person, title, screens)
    # the signed e-form straight into the dossier: no download and upload
    await page.get_by_role("button", name="Đính kèm vào hồ sơ").click()
    declaration = component(page, title)
    await expect(declaration).to_contain_text("Biểu mẫu điện tử đã ký số")
    id_card = component(page, "Căn cước công dân")
    await id_card.get_by_label("Từ máy tính").set_input_files(
        {"name": "cccd.pdf", "mimeType": "application/pdf", "buffer": sample_pdf("CCCD")}
    )
    await id_card.get_by_role("button", name=re.compile("Tải lên")).click()
    await expect(component(page, "Căn cước công dân")).to_contain_text("cccd.pdf")

    receipt = await submit_and_read_receipt(page, screens)
    await page.get_by_role("link", name="Xem hồ sơ").click()
    await page.get_by_label(re.compile("Lý do rút hồ sơ")).fill(f"Nộp nhầm {uuid.uuid4().hex[:4]}")
    await screens.shot(page, "withdraw")
    await page.get_by_role("button", name="Rút hồ sơ").click()
    await expect(page.get_by_text("Hồ sơ đã được rút")).to_be_visible()
    await expect(page.get_by_role("table")).to_contain_text("Công dân yêu cầu rút hồ sơ")
    await screens.shot(page, "withdrawn")
    assert receipt
