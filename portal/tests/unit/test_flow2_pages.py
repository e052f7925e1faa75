"""Flow 2 pages against fake services: procedures, dossiers, the e-form, submit, CSRF."""

from __future__ import annotations

import re

import pytest

from hoso_portal.errors import ApiProblem, FieldError

from .conftest import PortalHarness
from .fakes import document, dossier

BOUNDARY = "----hosoBoundaryFlow2"
FORM_ID = f"{1:032x}"


def test_procedures_are_searchable_and_show_the_catalogue_facts(harness: PortalHarness) -> None:
    harness.login()
    page = harness.client.get("/thu-tuc", params={"q": "khai sinh"})
    assert page.status_code == 200 and "Đăng ký khai sinh" in page.text
    assert "Không tìm thấy" in harness.client.get("/thu-tuc", params={"q": "xyz"}).text
    detail = harness.client.get("/thu-tuc/1.001193").text
    for fact in ["Ủy ban nhân dân cấp xã", "Ngay trong ngày", "Miễn lệ phí", "Thành phần hồ sơ"]:
        assert fact in detail
    assert ">Nộp hồ sơ</button>" in detail
    assert harness.client.get("/thu-tuc/9.999").status_code == 404


def test_nop_ho_so_creates_a_dossier_with_every_way_to_fill_a_component(
    harness: PortalHarness,
) -> None:
    harness.documents.items = [document("v1", "Giấy chứng sinh", status="signed")]
    harness.login()
    created = harness.client.post(
        "/ho-so-da-nop", data={"csrf_token": harness.csrf(), "procedure_code": "1.001193"}
    )
    assert created.status_code == 303
    page = harness.client.get(created.headers["location"]).text
    for way in ["Nhập thông tin trực tuyến (E-Form)", "Từ máy tính", "Từ Hồ sơ điện tử"]:
        assert way in page
    assert "Giấy chứng sinh" in page  # the vault picker
    assert 'name="idempotency_key"' in page
    # the portal calls the services with the citizen's own token, never another
    assert set(harness.submission.tokens) == {"access-code1"}


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/ho-so-da-nop", {"procedure_code": "1.001193"}),
        ("/ho-so-da-nop/{d}/nop", {"idempotency_key": "a" * 32}),
        ("/ho-so-da-nop/{d}/rut", {"note": "x"}),
        ("/ho-so-da-nop/{d}/thanh-phan/TK/tu-kho", {"document_id": "v1"}),
        ("/ho-so-da-nop/{d}/thanh-phan/TK/bieu-mau-da-ky", {"form_id": FORM_ID}),
        ("/ho-so-da-nop/{d}/thanh-phan/TK/go", {}),
        ("/ho-so-da-nop/{d}/thanh-phan/TK/bieu-mau", {"/ho_ten": "A", "_action": "save"}),
        ("/bieu-mau/{f}", {"/ho_ten": "A"}),
        ("/bieu-mau/{f}/ky-so", {"provider": "fpt-esign"}),
    ],
)
@pytest.mark.parametrize("token", [None, "forged"])
def test_forged_posts_are_refused(
    harness: PortalHarness, path: str, data: dict[str, str], token: str | None
) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.eforms.forms[FORM_ID] = {
        "id": FORM_ID,
        "template_code": "t",
        "template_version": 1,
        "title": "T",
        "status": "saved",
        "data": {},
    }
    harness.login()
    body = dict(data)
    if token:
        body["csrf_token"] = token
    answer = harness.client.post(path.format(d="d" * 32, f=FORM_ID), data=body)
    assert answer.status_code == 403
    assert "Biểu mẫu không hợp lệ" in answer.text
    assert not harness.submission.submitted and not harness.submission.withdrawn
    assert not harness.submission.attached and not harness.eforms.signed_with
    assert harness.eforms.forms[FORM_ID]["data"] == {}


def test_forged_upload_to_a_component_is_refused_before_streaming(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.login()
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nforged\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--{BOUNDARY}--\r\n"
    ).encode()
    answer = harness.client.post(
        f"/ho-so-da-nop/{'d' * 32}/thanh-phan/TK/tai-len",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert answer.status_code == 403 and not harness.submission.uploads


def test_upload_from_computer_streams_the_file_on(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.login()
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{harness.csrf()}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.7 x\r\n--{BOUNDARY}--\r\n"
    ).encode()
    answer = harness.client.post(
        f"/ho-so-da-nop/{'d' * 32}/thanh-phan/TK/tai-len",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert answer.status_code == 303
    assert b"%PDF-1.7 x" in harness.submission.uploads[0]
    assert b"csrf_token" not in harness.submission.uploads[0]


def test_eform_page_is_drawn_from_the_schema(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.login()
    page = harness.client.get(f"/ho-so-da-nop/{'d' * 32}/thanh-phan/TK/bieu-mau").text
    assert 'name="/ho_ten" type="text"' in page
    assert 'name="/ngay_sinh" type="text"' in page
    assert 'name="/so_luong" type="number"' in page
    assert re.search(r'<select id="f-gioi_tinh" name="/gioi_tinh"', page)
    assert "Thành phố Hà Nội" in page  # provinces from the catalogue
    assert 'hx-get="/bieu-mau/danh-muc/xa-phuong"' in page
    assert 'value="add:/qua_trinh"' in page  # a repeated group grows by a button
    assert "Tờ khai &lt;thử&gt;" in page  # escaped
    assert ">Thêm</button>" in page and ">Đóng</a>" in page


def test_eform_rows_and_communes_without_javascript(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.login()
    path = f"/ho-so-da-nop/{'d' * 32}/thanh-phan/TK/bieu-mau"
    page = harness.client.post(
        path,
        data={
            "csrf_token": harness.csrf(),
            "/ho_ten": "Trần Thị Bình",
            "/noi_cu_tru/tinh_thanh": "79",
            "_action": "add:/qua_trinh",
        },
    ).text
    assert 'name="/qua_trinh/0/noi_o"' in page
    assert 'value="Trần Thị Bình"' in page
    assert "Phường Một (79)" in page  # communes of the chosen province
    assert not harness.eforms.forms  # nothing saved yet


def test_them_saves_and_answers_thuc_hien_thanh_cong(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.login()
    saved = harness.client.post(
        f"/ho-so-da-nop/{'d' * 32}/thanh-phan/TK/bieu-mau",
        data={
            "csrf_token": harness.csrf(),
            "_action": "save",
            "/ho_ten": "Trần Thị Bình",
            "/ngay_sinh": "05/09/1990",
            "/noi_cu_tru/tinh_thanh": "01",
            "/noi_cu_tru/xa_phuong": "01001",
            "/noi_cu_tru/dia_chi_chi_tiet": "",
            "/so_luong": "2",
            "/qua_trinh/0/noi_o": "",
        },
    )
    assert saved.status_code == 303
    data = harness.eforms.forms[FORM_ID]["data"]
    # dates as the service stores them, integers as integers, empty fields left out
    assert data == {
        "ho_ten": "Trần Thị Bình",
        "ngay_sinh": "05/09/1990",
        "noi_cu_tru": {"tinh_thanh": "01", "xa_phuong": "01001"},
        "so_luong": 2,
    }
    page = harness.client.get(saved.headers["location"]).text
    assert "Thực hiện thành công" in page
    assert ">Cập nhật</button>" in page and ">In</a>" in page and ">Đóng</a>" in page
    assert 'value="05/09/1990"' in page
    assert "FPT" in page or "vnpt-smartca" in page  # the providers to sign with


def test_422_errors_sit_next_to_their_fields_and_in_the_summary(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.eforms.problem = ApiProblem(
        422,
        "validation_failed",
        "Dữ liệu không hợp lệ.",
        errors=[
            FieldError("/data/ho_ten", "Vui lòng nhập Họ, chữ đệm và tên."),
            FieldError("/data/noi_cu_tru/xa_phuong", "Xã không thuộc tỉnh đã chọn."),
        ],
    )
    harness.login()
    page = harness.client.post(
        f"/ho-so-da-nop/{'d' * 32}/thanh-phan/TK/bieu-mau",
        data={"csrf_token": harness.csrf(), "_action": "save", "/ho_ten": "<b>x</b>"},
    )
    assert page.status_code == 422
    text = page.text
    assert 'href="#f-ho_ten"' in text and 'href="#f-noi_cu_tru-xa_phuong"' in text
    assert 'id="f-ho_ten-error"' in text and 'aria-invalid="true"' in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text


def test_signing_the_form_shows_the_pending_notice(harness: PortalHarness) -> None:
    harness.eforms.forms[FORM_ID] = {
        "id": FORM_ID,
        "template_code": "t",
        "template_version": 1,
        "title": "Tờ khai",
        "status": "saved",
        "data": {},
    }
    harness.login()
    started = harness.client.post(
        f"/bieu-mau/{FORM_ID}/ky-so", data={"csrf_token": harness.csrf(), "provider": "fpt-esign"}
    )
    assert started.status_code == 303 and harness.eforms.signed_with == ["fpt-esign"]
    notice = harness.client.get(started.headers["location"]).text
    assert "Thông báo chờ xử lý" in notice and "data-countdown" in notice


def test_submit_once_per_render_and_show_the_receipt(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.login()
    page = harness.client.get(f"/ho-so-da-nop/{'d' * 32}").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key
    for _ in range(2):  # a double click
        answer = harness.client.post(
            f"/ho-so-da-nop/{'d' * 32}/nop",
            data={"csrf_token": harness.csrf(), "idempotency_key": key[1]},
        )
        assert answer.status_code == 303
    assert harness.submission.submitted == [("d" * 32, key[1])]
    receipt = harness.client.get(answer.headers["location"]).text
    assert "UBND-HNI-261130-0001" in receipt
    again = harness.client.get(f"/ho-so-da-nop/{'d' * 32}").text
    assert key[1] not in again


def test_history_by_vietnamese_names_supplement_and_withdrawal(harness: PortalHarness) -> None:
    history = [
        {
            "action": "submit",
            "to_status": 1,
            "to_status_name": "Mới đăng ký",
            "actor": "c",
            "actor_name": "Nguyễn Văn An",
            "actor_role": "citizen",
            "at": "2026-11-30T03:04:00Z",
            "note": None,
        },
        {
            "action": "request_supplement",
            "to_status": 5,
            "to_status_name": "Yêu cầu bổ sung giấy tờ",
            "actor": "o",
            "actor_name": None,
            "actor_role": "officer",
            "at": "2026-11-30T04:04:00Z",
            "note": "Thiếu giấy chứng sinh",
        },
    ]
    harness.submission.items["d" * 32] = dossier(status=5, history=history)
    harness.login()
    page = harness.client.get(f"/ho-so-da-nop/{'d' * 32}").text
    assert "Mới đăng ký" in page and "Yêu cầu bổ sung giấy tờ" in page
    assert "Thiếu giấy chứng sinh" in page and ">Nộp bổ sung</button>" in page
    harness.submission.items["d" * 32] = dossier(status=1, history=history[:1])
    page = harness.client.get(f"/ho-so-da-nop/{'d' * 32}").text
    assert ">Rút hồ sơ</button>" in page and "Từ máy tính" not in page
    done = harness.client.post(
        f"/ho-so-da-nop/{'d' * 32}/rut", data={"csrf_token": harness.csrf(), "note": "Nộp nhầm"}
    )
    assert done.status_code == 303 and harness.submission.withdrawn == ["d" * 32]


def test_attach_from_vault_pins_the_current_version(harness: PortalHarness) -> None:
    harness.submission.items["d" * 32] = dossier()
    harness.documents.items = [
        document("v1", "Giấy chứng sinh", current_version=2, object={"sha256": "ab" * 32})
    ]
    harness.login()
    answer = harness.client.post(
        f"/ho-so-da-nop/{'d' * 32}/thanh-phan/TK/tu-kho",
        data={"csrf_token": harness.csrf(), "document_id": "v1"},
    )
    assert answer.status_code == 303
    assert harness.submission.attached == [("d" * 32, "TK", ("v1", 2, "ab" * 32))]
