"""Flow 1 pages against fake services: CSRF, streaming upload, notices, escaping, errors."""

from __future__ import annotations

import re

from hoso_portal.errors import ApiProblem, FieldError

from .conftest import PortalHarness
from .fakes import document

BOUNDARY = "----hosoBoundary7MA4YWxk"


def multipart(fields: list[tuple[str, str]], file: bytes = b"%PDF-1.7 test") -> bytes:
    parts = []
    for name, value in fields:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="bang.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    )
    return "".join(parts).encode() + file + f"\r\n--{BOUNDARY}--\r\n".encode()


def post_upload(harness: PortalHarness, body: bytes) -> object:
    return harness.client.post(
        "/ho-so-dien-tu/tai-len",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def test_vault_lists_documents_with_the_seed_columns_and_pages(harness: PortalHarness) -> None:
    harness.documents.items = [
        document(f"d{i}", f"Giấy tờ {i}", status="signed" if i == 0 else "draft") for i in range(5)
    ]
    harness.login()
    page = harness.client.get("/ho-so-dien-tu")
    assert page.status_code == 200
    for label in ["Tên giấy tờ", "Ngày tải lên", "Trạng thái", "Người ký", "Thời gian ký"]:
        assert f">{label}</th>" in page.text
    assert page.text.count(">Tải tệp</a>") == 3
    assert "NGUYỄN VĂN AN" in page.text and "30/11/2026 10:04" in page.text
    assert "+ Tải tài liệu mới" in page.text and "Đăng xuất" in page.text
    for label in ["Hồ sơ điện tử", "Thủ tục hành chính", "Hồ sơ đã nộp", "Thông báo"]:
        assert f">{label}</a>" in page.text
    assert "Trang 1 / 2" in page.text
    second = harness.client.get("/ho-so-dien-tu", params={"trang": 2})
    assert "Giấy tờ 4" in second.text and "Giấy tờ 0" not in second.text


def test_user_data_is_escaped(harness: PortalHarness) -> None:
    harness.idp.name = '<img src=x onerror="alert(2)">'
    harness.documents.items = [document("d1", "<script>alert(1)</script>")]
    harness.login()
    page = harness.client.get("/ho-so-dien-tu").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_pages_have_a_csp_without_inline_scripts(harness: PortalHarness) -> None:
    harness.login()
    page = harness.client.get("/ho-so-dien-tu/tai-len")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page.text) == []
    assert re.findall(r"\son[a-z]+=", page.text) == []


def test_a_forged_post_without_the_csrf_token_is_refused(harness: PortalHarness) -> None:
    harness.documents.items = [document("d1", "Bằng")]
    harness.login()
    forged = harness.client.post("/ho-so-dien-tu/d1/luu", data={"csrf_token": "guess"})
    assert forged.status_code == 403
    assert "Biểu mẫu" in forged.text
    assert harness.documents.saved == []
    missing = harness.client.post("/ho-so-dien-tu/d1/luu")
    assert missing.status_code == 403
    assert harness.documents.saved == []
    real = harness.client.post("/ho-so-dien-tu/d1/luu", data={"csrf_token": harness.csrf()})
    assert real.status_code == 303
    assert real.headers["location"] == "/ho-so-dien-tu?luu=d1"
    assert harness.documents.saved == ["d1"]


def test_a_forged_upload_is_refused_before_anything_reaches_the_vault(
    harness: PortalHarness,
) -> None:
    harness.login()
    no_token = post_upload(harness, multipart([("name", "Bằng"), ("sign", "true")]))
    assert no_token.status_code == 403  # type: ignore[attr-defined]
    wrong = post_upload(harness, multipart([("csrf_token", "x"), ("name", "Bằng")]))
    assert wrong.status_code == 403  # type: ignore[attr-defined]
    assert harness.documents.uploads == []


def test_upload_passes_the_form_on_without_the_csrf_token(harness: PortalHarness) -> None:
    harness.login()
    csrf = harness.csrf()
    body = multipart(
        [("csrf_token", csrf), ("sign", "true"), ("name", "Bằng tốt nghiệp"), ("provider", "p")]
    )
    response = post_upload(harness, body)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/ho-so-dien-tu/doc1/ky-so"  # type: ignore[attr-defined]
    forwarded = harness.documents.uploads[0]
    assert csrf.encode() not in forwarded
    assert forwarded.startswith(f"--{BOUNDARY}\r\n".encode())
    assert "Bằng tốt nghiệp".encode() in forwarded and b"%PDF-1.7 test" in forwarded
    assert forwarded == body[body.index(b"\r\n--" + BOUNDARY.encode()) + 2 :]


def test_upload_errors_are_shown_next_to_the_field_and_in_the_summary(
    harness: PortalHarness,
) -> None:
    harness.login()
    harness.documents.upload_problem = ApiProblem(
        415, "unsupported_media_type", "Định dạng tệp không được hỗ trợ."
    )
    body = multipart([("csrf_token", harness.csrf()), ("name", "Bằng")])
    response = post_upload(harness, body)
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert 'href="#file"' in text and "Có lỗi cần sửa" in text
    assert 'id="file-error"' in text and "Định dạng tệp không được hỗ trợ." in text
    harness.documents.upload_problem = ApiProblem(
        422, "validation_failed", "x", errors=[FieldError("/name", "Trường này là bắt buộc.")]
    )
    response = post_upload(harness, body)
    assert 'id="name-error"' in response.text  # type: ignore[attr-defined]


def test_upload_form_shows_types_limit_and_providers(harness: PortalHarness) -> None:
    harness.login()
    page = harness.client.get("/ho-so-dien-tu/tai-len").text
    assert "Tên giấy tờ" in page and "File đính kèm" in page and "Đơn vị ký số" in page
    assert "PDF, DOCX, XLSX, JPG, PNG, XML" in page and "20 MB" in page
    assert "VNPT-CA (SmartCA)" in page and "Viettel-CA (MySign)" in page
    assert ">Ký số</button>" in page
    assert page.index('name="csrf_token"') < page.index('name="name"')


def test_pending_notice_counts_down_and_listens_to_the_live_stream(harness: PortalHarness) -> None:
    harness.documents.items = [document("d1", "Bằng", status="signing")]
    harness.login()
    page = harness.client.get("/ho-so-dien-tu/d1/ky-so").text
    assert "Thông báo chờ xử lý" in page and "VNPT-CA (SmartCA)" in page
    assert re.search(r'data-countdown="12[0-5]"', page)
    assert 'http-equiv="refresh"' in page  # inside <noscript>: the no-JS refresh
    # no polling: a signing event on the stream, or the stream's (re)connection, re-reads it
    assert 'hx-trigger="sse:signing, resync"' in page and "every " not in page
    fragment = harness.client.get("/ho-so-dien-tu/d1/ky-so", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith("{#") is False
    assert "<html" not in fragment.text and 'id="signing-status"' in fragment.text


def test_success_notice_has_ok_and_failure_has_the_reason_and_retry(
    harness: PortalHarness,
) -> None:
    failure = {"reason": "rejected", "message": "Bạn đã từ chối ký.", "provider": "vnpt-smartca"}
    harness.documents.items = [
        document("ok", "Bằng", status="signed"),
        document("no", "Hộ chiếu", status="sign_failed", failure=failure),
    ]
    harness.login()
    success = harness.client.get("/ho-so-dien-tu/ok/ky-so", headers={"HX-Request": "true"}).text
    assert "Ký số thành công" in success and ">OK</a>" in success
    assert "hx-trigger" not in success  # polling stops
    failed = harness.client.get("/ho-so-dien-tu/no/ky-so").text
    assert "Yêu cầu ký số đã bị từ chối" in failed and "Bạn đã từ chối ký." in failed
    assert ">Thử lại</button>" in failed


def test_a_service_that_is_down_gives_a_friendly_page(harness: PortalHarness) -> None:
    harness.login()
    harness.documents.down = True
    page = harness.client.get("/ho-so-dien-tu")
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "Dịch vụ tạm thời" in page.text and "{" not in page.text.split("</header>")[1][:200]


def test_not_found_and_odd_ids_get_their_page(harness: PortalHarness) -> None:
    harness.login()
    for path in ["/khong-co", "/ho-so-dien-tu/nope", "/ho-so-dien-tu/a..b"]:
        page = harness.client.get(path)
        assert page.status_code == 404, path
        assert "Không tìm thấy" in page.text
        assert page.headers["content-type"].startswith("text/html")


def test_home_offers_login_and_sends_citizens_to_the_vault(harness: PortalHarness) -> None:
    home = harness.client.get("/")
    assert home.status_code == 200 and "Đăng nhập" in home.text
    harness.login()
    assert harness.client.get("/").headers["location"] == "/ho-so-dien-tu"


def test_a_draft_can_be_signed_from_its_page(harness: PortalHarness) -> None:
    harness.documents.items = [document("d1", "Sổ hộ khẩu", status="draft")]
    harness.login()
    page = harness.client.get("/ho-so-dien-tu/d1").text
    assert 'action="/ho-so-dien-tu/d1/ky-so"' in page and ">Ký số</button>" in page
    assert ">Lưu</button>" in page and ">Tải tệp</a>" in page
    started = harness.client.post(
        "/ho-so-dien-tu/d1/ky-so", data={"csrf_token": harness.csrf(), "provider": "vnpt-smartca"}
    )
    assert started.status_code == 303
    assert started.headers["location"] == "/ho-so-dien-tu/d1/ky-so"


def test_pending_notice_before_signing_knows_the_request(harness: PortalHarness) -> None:
    harness.documents.items = [document("d1", "Bằng", status="signing")]
    harness.signing.unknown = True
    harness.login()
    page = harness.client.get("/ho-so-dien-tu/d1/ky-so")
    assert page.status_code == 200
    assert "Thông báo chờ xử lý" in page.text and "Đang gửi yêu cầu ký số" in page.text
    assert 'hx-trigger="sse:signing, resync, every 2s"' in page.text


def test_the_sign_requests_outcome_shows_before_the_vault_records_it(
    harness: PortalHarness,
) -> None:
    # the live event reaches the portal and the vault at once: signing's status is the truth
    harness.documents.items = [document("d1", "Bằng", status="signing")]
    harness.signing.requests["req-d1"] = {
        "request_id": "req-d1",
        "phase": "failure",
        "failure_reason": "expired",
        "failure_message": "Yêu cầu đã hết hạn.",
        "provider": "vnpt-smartca",
    }
    harness.login()
    fragment = harness.client.get("/ho-so-dien-tu/d1/ky-so", headers={"HX-Request": "true"}).text
    assert "Yêu cầu ký số đã hết hạn" in fragment and ">Thử lại</button>" in fragment
    assert "hx-trigger" not in fragment
    harness.signing.requests["req-d1"] = {"request_id": "req-d1", "phase": "success"}
    fragment = harness.client.get("/ho-so-dien-tu/d1/ky-so", headers={"HX-Request": "true"}).text
    assert "Ký số thành công" in fragment and ">OK</a>" in fragment
