"""The dossier's result in a browser: the officer uploads it, signs it on the sandbox phone with
their own certificate, completes and returns the dossier; the citizen finds the signed result
in the vault, signed by the officer."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Page, expect

from hoso_common.testing.endpoints import Endpoints
from hoso_common.testing.identity import IdpClient, TestUser

from .conftest import Screens, new_context
from .test_flow1_browser import (
    APPROVAL_WAIT_MS,
    answer_on_phone,
    keep_still,
    log_in_on_phone,
    sample_pdf,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(900)]

SUBMISSION = "/api/submission/v1"
DOCUMENTS = "/api/documents/v1"
PROCEDURE = "2.000488"  # Cấp Phiếu lý lịch tư pháp, Sở Tư pháp Hà Nội
AGENCY = "STP-HNI"
# The platform's asynchronous steps on a loaded two-core machine.
STEP_TIMEOUT_S = 120.0
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
    b"\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest_asyncio.fixture
async def gateway(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=60) as client:
        yield client


@pytest_asyncio.fixture
async def officer(idp: IdpClient, ca_api: httpx.AsyncClient) -> TestUser:
    """An officer of the Sở Tư pháp with a personal id, enrolled at the CA like a citizen."""
    user = await idp.officer(
        AGENCY,
        name=f"Lê Minh {random.choice(('Cường', 'Hải', 'Nam'))}",
        citizen_id=f"001085{random.randint(0, 999_999):06d}",
    )
    enrolled = await ca_api.post(
        "/sandbox/users", json={"user_id": user.citizen_id, "name": user.name.upper()}
    )
    assert enrolled.status_code in (200, 201), enrolled.text
    return user


@pytest_asyncio.fixture
async def browser_citizen(
    desktop: BrowserContext, endpoints: Endpoints
) -> AsyncIterator[BrowserContext]:
    """A second browser (the citizen's own), apart from the officer's cookies."""
    browser = desktop.browser
    assert browser is not None
    context = await new_context(browser, endpoints)
    yield context
    await context.close()


def _ok(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), response.text
    return response.json()


async def _poll(
    fetch: Callable[[], Awaitable[Any]], until: Callable[[Any], bool], what: str
) -> Any:
    deadline = time.monotonic() + STEP_TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        last = await fetch()
        if until(last):
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}: {last}")


async def dossier_in_processing(
    gateway: httpx.AsyncClient, ca_api: httpx.AsyncClient, citizen: TestUser, officer: TestUser
) -> dict[str, Any]:
    """Steps 1-3 of the officer flow through the APIs: submitted, accepted, being processed."""
    name = f"Tờ khai {uuid.uuid4().hex[:6]}"
    document = _ok(
        await gateway.post(
            f"{DOCUMENTS}/documents",
            data={"name": name, "sign": "true", "provider": "vnpt-smartca"},
            files={"file": ("to-khai.pdf", sample_pdf("To khai"), "application/pdf")},
            headers=citizen.headers,
        ),
        201,
    )

    async def pending() -> list[dict[str, Any]]:
        listed = await ca_api.get(
            f"/phone/{citizen.citizen_id}/requests",
            params={"status": "pending"},
            headers=citizen.headers,
        )
        return [r for r in _ok(listed) if r.get("document_name") == name]

    request = (await _poll(pending, bool, "the citizen's phone request"))[0]
    _ok(
        await ca_api.post(
            f"/phone/requests/{request['transaction_id']}/approve", headers=citizen.headers
        )
    )

    async def signed() -> Any:
        return _ok(
            await gateway.get(f"{DOCUMENTS}/documents/{document['id']}", headers=citizen.headers)
        )

    document = await _poll(signed, lambda d: d["status"] == "signed", "the signed declaration")
    version = document["versions"][-1]
    dossier = _ok(
        await gateway.post(
            f"{SUBMISSION}/dossiers", json={"procedure_code": PROCEDURE}, headers=citizen.headers
        ),
        201,
    )
    did = dossier["id"]
    _ok(
        await gateway.post(
            f"{SUBMISSION}/dossiers/{did}/components/TK/vault",
            json={
                "document_id": document["id"],
                "version": version["version"],
                "sha256": version["sha256"],
            },
            headers=citizen.headers,
        )
    )
    _ok(
        await gateway.post(
            f"{SUBMISSION}/dossiers/{did}/components/CCCD/upload",
            files={"file": ("cccd.png", PNG, "image/png")},
            headers=citizen.headers,
        )
    )
    _ok(
        await gateway.post(
            f"{SUBMISSION}/dossiers/{did}/submit",
            headers={**citizen.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
    )
    for action in ("accept", "start_processing"):
        dossier = _ok(
            await gateway.post(
                f"{SUBMISSION}/dossiers/{did}/actions",
                json={"action": action},
                headers=officer.headers,
            )
        )
    return dict(dossier)


async def log_in_at(page: Page, person: TestUser, url: str, heading: re.Pattern[str]) -> None:
    """Open a page of the portal and log in on the IdP's page it sends the browser to."""
    await page.goto(url)
    await page.get_by_label(re.compile("Tên đăng nhập")).fill(person.username)
    await page.get_by_label("Mật khẩu", exact=True).fill(person.password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", name=heading)).to_be_visible()


async def test_officer_signs_the_result_and_the_citizen_finds_it_in_the_vault(
    desktop: BrowserContext,
    phone_screen: BrowserContext,
    browser_citizen: BrowserContext,
    person: TestUser,
    officer: TestUser,
    gateway: httpx.AsyncClient,
    ca_api: httpx.AsyncClient,
    screens: Screens,
) -> None:
    dossier = await dossier_in_processing(gateway, ca_api, person, officer)
    code = dossier["receipt_code"]
    page = await desktop.new_page()
    url = f"/can-bo/ho-so/{dossier['id']}/ket-qua"
    await log_in_at(page, officer, url, re.compile("^Kết quả giải quyết:"))
    await screens.shot(page, "officer-result-empty")
    await expect(page.get_by_text("Hồ sơ chưa có kết quả giải quyết.")).to_be_visible()

    # "Hoàn thành" is refused while there is no signed result: the reason is shown.
    await page.get_by_role("button", name="Hoàn thành").click()
    await expect(page.get_by_text(re.compile("chưa có kết quả giải quyết")).first).to_be_visible()
    await screens.shot(page, "complete-refused")

    await page.get_by_label("Tệp kết quả giải quyết").set_input_files(
        {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": sample_pdf("Ket qua")}
    )
    await page.get_by_role("button", name="Tải lên kết quả").click()
    await expect(page.get_by_text("Đã tải lên tệp kết quả giải quyết.")).to_be_visible()
    await expect(page.get_by_text("Chưa ký số")).to_be_visible()
    await screens.shot(page, "result-uploaded")

    await page.get_by_label(re.compile("VNPT")).check()
    await page.get_by_role("button", name="Ký số kết quả").click()
    notice = page.get_by_role("status")
    await expect(notice).to_contain_text("Thông báo chờ xử lý")
    await screens.shot(page, "result-pending")

    phone = await phone_screen.new_page()
    await keep_still(phone)
    await log_in_on_phone(phone, officer, screens)
    await answer_on_phone(phone, f"Kết quả giải quyết hồ sơ {code}", "Đồng ý ký", screens)
    await screens.shot(phone, "phone-answered")

    await expect(notice).to_contain_text("Ký số thành công", timeout=APPROVAL_WAIT_MS)
    await screens.shot(page, "result-signed-notice")
    await page.get_by_role("link", name="OK").click()
    result = page.locator("#ket-qua")
    await expect(result).to_contain_text("Đã ký số")
    await expect(result).to_contain_text(officer.name.upper())
    await screens.shot(page, "result-signed")

    await page.get_by_role("button", name="Hoàn thành").click()
    await expect(page.get_by_text("Hồ sơ đã được hoàn thành")).to_be_visible()
    await expect(result).to_contain_text("Chữ ký hợp lệ")
    await screens.shot(page, "completed")
    await page.get_by_role("button", name="Trả kết quả").click()
    await expect(page.get_by_text("Đã trả kết quả cho công dân.")).to_be_visible()
    await screens.shot(page, "returned")

    # The citizen: the dossier page offers the signed result, and the vault keeps a copy.
    citizen = await browser_citizen.new_page()
    await log_in_at(citizen, person, "/ho-so-dien-tu", re.compile("^Hồ sơ điện tử$"))
    row = citizen.get_by_role("row").filter(has_text=code)
    for _ in range(int(STEP_TIMEOUT_S / 2)):
        if await row.count():
            break
        await citizen.wait_for_timeout(2000)
        await citizen.reload()
    await expect(row).to_contain_text("Đã ký số")
    await expect(row).to_contain_text(officer.name.upper())
    await screens.shot(citizen, "citizen-vault")
    await row.get_by_role("link", name=re.compile("^Kết quả giải quyết")).click()
    await citizen.get_by_role("link", name="Kiểm tra kết quả ký số").click()
    await expect(citizen.get_by_role("heading", name="Chữ ký số hợp lệ")).to_be_visible()
    await expect(citizen.get_by_text(officer.name.upper()).first).to_be_visible()
    await screens.shot(citizen, "citizen-result-validated")

    await citizen.goto(f"/ho-so-da-nop/{dossier['id']}")
    section = citizen.locator("#ket-qua")
    await expect(section).to_contain_text("Một bản sao đã được lưu trong Hồ sơ điện tử")
    async with citizen.expect_download() as waiting:
        await section.get_by_role("link", name="Tải kết quả đã ký số").click()
    download = await waiting.value
    assert (await download.path()).read_bytes().startswith(b"%PDF")
    await screens.shot(citizen, "citizen-dossier-result")
