"""FPT-CA by OTP: the pending notice asks for the code and says how many attempts are left."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hoso_portal.errors import ApiProblem
from hoso_portal.sessions import utcnow

from .conftest import PortalHarness
from .fakes import document

NOTICE = "/ho-so-dien-tu/d1/ky-so"
OTP_URL = "/ho-so-dien-tu/d1/ky-so/otp"


def awaiting(authorization: str = "otp") -> dict[str, object]:
    return {
        "request_id": "req-d1",
        "status": "awaiting_approval",
        "phase": "pending",
        "authorization": authorization,
        "provider": "fpt-esign",
        "provider_name": "FPT-CA",
        "transaction_code": "FP12",
        "expires_at": (utcnow() + timedelta(seconds=120)).isoformat(),
    }


@pytest.fixture
def otp_harness(harness: PortalHarness) -> PortalHarness:
    harness.documents.items = [document("d1", "Giấy khai sinh", status="signing")]
    harness.signing.requests["req-d1"] = awaiting()
    harness.login()
    return harness


def test_the_pending_notice_asks_for_the_otp_without_reloading_under_the_citizen(
    otp_harness: PortalHarness,
) -> None:
    page = otp_harness.client.get(NOTICE).text
    assert "Thông báo chờ xử lý" in page and "FPT-CA gửi cho bạn một mã OTP" in page
    assert f'action="{OTP_URL}"' in page and '<label for="otp">Mã OTP</label>' in page
    assert 'autocomplete="one-time-code"' in page and ">Xác nhận ký</button>" in page
    assert 'http-equiv="refresh"' not in page
    # the live stream, not a timer, refreshes the notice; htmx keeps the typed code across swaps
    assert 'hx-trigger="sse:signing, resync"' in page and 'id="otp-form" hx-preserve' in page


def test_a_phone_app_request_shows_no_otp_form(otp_harness: PortalHarness) -> None:
    otp_harness.signing.requests["req-d1"] = awaiting("app")
    page = otp_harness.client.get(NOTICE).text
    assert "otp-form" not in page and "mở ứng dụng ký số của FPT-CA" in page
    posted = otp_harness.client.post(
        OTP_URL, data={"csrf_token": otp_harness.csrf(), "otp": "1234"}
    )
    assert posted.status_code == 303 and posted.headers["location"] == NOTICE
    assert otp_harness.signing.otps == []


def test_the_right_otp_goes_to_signing_and_back_to_the_notice(otp_harness: PortalHarness) -> None:
    posted = otp_harness.client.post(
        OTP_URL, data={"csrf_token": otp_harness.csrf(), "otp": " 123456 "}
    )
    assert posted.status_code == 303 and posted.headers["location"] == NOTICE
    assert otp_harness.signing.otps == [("req-d1", "123456")]


def test_a_wrong_otp_says_how_many_attempts_are_left(otp_harness: PortalHarness) -> None:
    otp_harness.signing.otp_problem = ApiProblem(
        status=422, code="otp_invalid", detail="Mã OTP không đúng. Bạn còn 2 lần thử."
    )
    page = otp_harness.client.post(OTP_URL, data={"csrf_token": otp_harness.csrf(), "otp": "0000"})
    assert page.status_code == 422
    assert page.text.count("Mã OTP không đúng. Bạn còn 2 lần thử.") == 2  # summary and field
    assert 'href="#otp"' in page.text and 'aria-invalid="true"' in page.text
    htmx = otp_harness.client.post(
        OTP_URL,
        data={"csrf_token": otp_harness.csrf(), "otp": "0000"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and "Bạn còn 2 lần thử" in htmx.text


def test_a_malformed_otp_is_refused_before_it_reaches_the_ca(otp_harness: PortalHarness) -> None:
    page = otp_harness.client.post(OTP_URL, data={"csrf_token": otp_harness.csrf(), "otp": "12ab"})
    assert page.status_code == 422 and "Nhập mã OTP gồm 4 đến 8 chữ số." in page.text
    assert otp_harness.signing.otps == []


def test_an_otp_without_the_csrf_token_is_refused(otp_harness: PortalHarness) -> None:
    page = otp_harness.client.post(OTP_URL, data={"otp": "123456"})
    assert page.status_code == 403
    assert otp_harness.signing.otps == []


def test_another_citizens_document_is_not_found(otp_harness: PortalHarness) -> None:
    page = otp_harness.client.post(
        "/ho-so-dien-tu/d2/ky-so/otp", data={"csrf_token": otp_harness.csrf(), "otp": "123456"}
    )
    assert page.status_code == 404
    assert otp_harness.signing.otps == []


FORM = "ab" * 16
FORM_NOTICE = f"/bieu-mau/{FORM}/ky-so"
FORM_OTP_URL = f"/bieu-mau/{FORM}/ky-so/otp"


@pytest.fixture
def form_harness(harness: PortalHarness) -> PortalHarness:
    """An e-form of flow 2 being signed at FPT-CA by OTP."""
    harness.eforms.forms[FORM] = {
        "id": FORM,
        "template_code": "CT01",
        "title": "Tờ khai thay đổi thông tin cư trú",
        "status": "signing",
        "sign_request_id": "req-f1",
        "data": {},
    }
    harness.signing.requests["req-f1"] = {**awaiting(), "request_id": "req-f1"}
    harness.login()
    return harness


def test_the_e_form_notice_asks_for_the_otp_too(form_harness: PortalHarness) -> None:
    page = form_harness.client.get(FORM_NOTICE).text
    assert "FPT-CA gửi cho bạn một mã OTP" in page and f'action="{FORM_OTP_URL}"' in page
    assert 'http-equiv="refresh"' not in page
    assert 'hx-trigger="sse:signing, resync"' in page


def test_the_e_form_otp_goes_to_signing_and_a_wrong_one_says_why(
    form_harness: PortalHarness,
) -> None:
    posted = form_harness.client.post(
        FORM_OTP_URL, data={"csrf_token": form_harness.csrf(), "otp": "654321"}
    )
    assert posted.status_code == 303 and posted.headers["location"] == FORM_NOTICE
    assert form_harness.signing.otps == [("req-f1", "654321")]
    form_harness.signing.otp_problem = ApiProblem(
        status=422, code="otp_invalid", detail="Mã OTP không đúng. Bạn còn 1 lần thử."
    )
    page = form_harness.client.post(
        FORM_OTP_URL, data={"csrf_token": form_harness.csrf(), "otp": "000000"}
    )
    assert page.status_code == 422 and page.text.count("Bạn còn 1 lần thử.") == 2


def test_an_e_form_otp_without_the_csrf_token_is_refused(form_harness: PortalHarness) -> None:
    page = form_harness.client.post(FORM_OTP_URL, data={"otp": "123456"})
    assert page.status_code == 403 and form_harness.signing.otps == []
