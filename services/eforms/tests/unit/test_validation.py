"""Form data validation against the seeded schemas, with one Vietnamese message per field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from hoso_eforms.domain.catalogue import AddressCatalogue
from hoso_eforms.domain.seed_templates import seed_templates
from hoso_eforms.domain.validation import FormValidator, normalize

Sample = Callable[[str], dict[str, Any]]
CATALOGUE = AddressCatalogue.load()
TEMPLATES = seed_templates()


def validator(code: str) -> FormValidator:
    return FormValidator(TEMPLATES[code].form_schema, CATALOGUE, today=lambda: date(2025, 11, 1))


def messages(code: str, data: Any) -> dict[str, str]:
    return {e.pointer: e.message for e in validator(code).errors(data)}


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_valid_samples_pass(code: str, sample_form: Sample) -> None:
    assert validator(code).errors(sample_form(code)) == []


def test_missing_required_fields(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    del data["co_quan_tiep_nhan"]
    del data["nguoi_duoc_khai_sinh"]["ho_ten"]
    assert messages("to-khai-khai-sinh", data) == {
        "/data/co_quan_tiep_nhan": "Vui lòng nhập Kính gửi.",
        "/data/nguoi_duoc_khai_sinh/ho_ten": "Vui lòng nhập Họ, chữ đệm và tên.",
    }


def test_wrong_types(sample_form: Sample) -> None:
    data = sample_form("to-khai-ly-lich-tu-phap")
    data["ho_ten"] = 12
    data["so_luong"] = "hai"
    data["qua_trinh_cu_tru"] = {"tu_ngay": "01/01/2020"}
    assert messages("to-khai-ly-lich-tu-phap", data) == {
        "/data/ho_ten": "Họ, chữ đệm và tên phải là chuỗi ký tự.",
        "/data/so_luong": "Số lượng Phiếu lý lịch tư pháp yêu cầu cấp phải là số nguyên.",
        "/data/qua_trinh_cu_tru": "Quá trình cư trú, nghề nghiệp, nơi làm việc phải là danh sách.",
    }


def test_data_that_is_not_an_object() -> None:
    assert messages("to-khai-khai-sinh", ["x"]) == {
        "/data": "Tờ khai đăng ký khai sinh phải là nhóm thông tin."
    }


def test_too_long_and_empty_strings(sample_form: Sample) -> None:
    data = sample_form("ct01-thay-doi-cu-tru")
    data["noi_dung_de_nghi"] = "a" * 1001
    data["dia_chi_dang_ky"]["dia_chi_chi_tiet"] = ""
    assert messages("ct01-thay-doi-cu-tru", data) == {
        "/data/noi_dung_de_nghi": "Nội dung đề nghị không được dài quá 1000 ký tự.",
        "/data/dia_chi_dang_ky/dia_chi_chi_tiet": (
            "Vui lòng nhập Số nhà, đường phố, thôn, tổ dân phố."
        ),
    }


def test_impossible_and_future_dates(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    data["nguoi_duoc_khai_sinh"]["ngay_sinh"] = "31/02/2025"
    data["me"]["ngay_sinh"] = "1990-10-20"
    data["cha"]["ngay_sinh"] = "02/01/2030"
    found = messages("to-khai-khai-sinh", data)
    assert found["/data/nguoi_duoc_khai_sinh/ngay_sinh"] == (
        "Ngày, tháng, năm sinh không hợp lệ: ngày 31/02/2025 không có trên lịch."
    )
    assert found["/data/me/ngay_sinh"].startswith(
        "Ngày, tháng, năm sinh không hợp lệ: phải có dạng"
    )
    assert found["/data/cha/ngay_sinh"] == "Ngày, tháng, năm sinh không được sau ngày hôm nay."


def test_malformed_personal_ids(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    data["nguoi_yeu_cau"]["so_dinh_danh"] = "12345"
    data["me"]["so_dinh_danh"] = "098190012345"
    data["cha"]["so_dinh_danh"] = "079588001234"
    assert messages("to-khai-khai-sinh", data) == {
        "/data/nguoi_yeu_cau/so_dinh_danh": (
            "Số định danh cá nhân không hợp lệ: phải gồm đúng 12 chữ số."
        ),
        "/data/me/so_dinh_danh": (
            "Số định danh cá nhân không hợp lệ: mã tỉnh nơi đăng ký khai sinh 098 "
            "(3 chữ số đầu) không tồn tại."
        ),
        "/data/cha/so_dinh_danh": (
            "Số định danh cá nhân không hợp lệ: chữ số thứ 4 (mã thế kỷ và giới tính) "
            "phải từ 0 đến 3."
        ),
    }


def test_personal_id_must_agree_with_birth_year_and_sex(sample_form: Sample) -> None:
    data = sample_form("to-khai-ly-lich-tu-phap")
    data["gioi_tinh"] = "Nữ"
    assert messages("to-khai-ly-lich-tu-phap", data) == {
        "/data/so_dinh_danh": "Số định danh cá nhân không khớp với năm sinh hoặc giới tính đã khai."
    }


def test_unknown_fields_are_refused_one_by_one(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    data["ghi_chu"] = "x"
    data["me"]["biet_danh"] = "y"
    assert messages("to-khai-khai-sinh", data) == {
        "/data/ghi_chu": 'Trường "ghi_chu" không có trong biểu mẫu.',
        "/data/me/biet_danh": 'Trường "biet_danh" không có trong biểu mẫu.',
    }


def test_enums_phone_and_email(sample_form: Sample) -> None:
    data = sample_form("ct01-thay-doi-cu-tru")
    data["gioi_tinh"] = "Khác"
    data["so_dien_thoai"] = "0212345678"
    data["email"] = "tuyet@"
    data["thanh_vien_thay_doi"][0]["ho_ten"] = "Bé 123"
    found = messages("ct01-thay-doi-cu-tru", data)
    member_name = found.pop("/data/thanh_vien_thay_doi/0/ho_ten")
    assert member_name == (
        "Họ, chữ đệm và tên (Những thành viên trong hộ gia đình cùng thay đổi thứ 1) "
        "chỉ được gồm chữ cái và khoảng trắng."
    )
    assert found == {
        "/data/gioi_tinh": "Giới tính không nằm trong danh sách cho phép.",
        "/data/so_dien_thoai": (
            "Số điện thoại di động không đúng định dạng số di động Việt Nam (ví dụ 0912345678)."
        ),
        "/data/email": "Thư điện tử không phải địa chỉ thư điện tử hợp lệ (ví dụ ten@example.vn).",
    }


def test_ethnic_group_must_be_one_of_the_54(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    data["nguoi_duoc_khai_sinh"]["dan_toc"] = "Kinh Tày"
    assert messages("to-khai-khai-sinh", data) == {
        "/data/nguoi_duoc_khai_sinh/dan_toc": "Dân tộc không nằm trong danh sách cho phép."
    }


def test_unknown_province_and_commune(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    data["nguoi_yeu_cau"]["noi_cu_tru"]["tinh_thanh"] = "02"
    data["me"]["noi_cu_tru"]["xa_phuong"] = "26740"
    data["cha"]["noi_cu_tru"]["xa_phuong"] = "99999"
    assert messages("to-khai-khai-sinh", data) == {
        "/data/nguoi_yeu_cau/noi_cu_tru/tinh_thanh": (
            "Tỉnh/thành phố không có trong danh mục tỉnh, thành phố."
        ),
        "/data/me/noi_cu_tru/xa_phuong": "Xã/phường/đặc khu không thuộc tỉnh, thành phố đã chọn.",
        "/data/cha/noi_cu_tru/xa_phuong": "Xã/phường/đặc khu không có trong danh mục xã, phường.",
    }


def test_one_message_per_field(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    # Too long AND not a name AND not matching: still one message, the most basic one.
    data["me"]["ho_ten"] = "1" * 150
    errors = validator("to-khai-khai-sinh").errors(data)
    assert [e.pointer for e in errors] == ["/data/me/ho_ten"]
    assert errors[0].message == "Họ, chữ đệm và tên không được dài quá 100 ký tự."


def test_every_message_is_vietnamese_with_a_pointer(sample_form: Sample) -> None:
    data = sample_form("to-khai-ly-lich-tu-phap")
    data.update(ho_ten=None, ngay_sinh="32/01/2000", so_luong=99, loai_phieu="Phiếu số 3", x=1)
    data["qua_trinh_cu_tru"].append({"noi_cu_tru": "a"})
    errors = validator("to-khai-ly-lich-tu-phap").errors(data)
    assert len(errors) == len({e.pointer for e in errors}) == 6
    for error in errors:
        assert error.pointer.startswith("/data/")
        assert error.message.endswith(".")
        assert any(ch in error.message for ch in "ạảãáàâậấầẩăắặđêếệểìíịọỏôốộớợơưứừữựýỳ")


def test_normalize_makes_text_nfc_and_trimmed() -> None:
    decomposed = "Nguye\u0302\u0303n"
    assert normalize({"ho_ten": f"  {decomposed} "}) == {"ho_ten": "Nguyễn"}
    assert normalize([1, True, None]) == [1, True, None]
