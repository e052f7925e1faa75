"""Vietnamese value formats: dates, personal ids, phones, e-mail, names."""

from __future__ import annotations

import pytest

from hoso_eforms.domain import formats


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("29/02/2024", True),
        ("29/02/2000", True),
        ("29/02/1900", False),
        ("29/02/2023", False),
        ("31/02/2020", False),
        ("31/04/2021", False),
        ("00/01/2020", False),
        ("15/13/2020", False),
        ("1/1/2020", False),
        ("2020-01-01", False),
        ("01/01/1899", False),
        ("31/12/2099", True),
    ],
)
def test_dates_follow_the_calendar(value: str, ok: bool) -> None:
    assert (formats.date_problem(value) is None) is ok
    assert (formats.parse_date_vn(value) is not None) is (ok or value == "01/01/1899")


def test_date_problem_says_why_in_vietnamese() -> None:
    assert formats.date_problem("31/02/2020") == "ngày 31/02/2020 không có trên lịch"
    assert formats.date_problem("12/13/2020") == "tháng 13 không tồn tại"
    assert "dd/mm/yyyy" in (formats.date_problem("2020-02-01") or "")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("001190012345", None),
        ("079088001234", None),
        ("096399999999", None),
        ("00119001234", "phải gồm đúng 12 chữ số"),
        ("0011900123456", "phải gồm đúng 12 chữ số"),
        ("00119001234a", "phải gồm đúng 12 chữ số"),
        ("００１190012345", "phải gồm đúng 12 chữ số"),
        ("003190012345", "mã tỉnh nơi đăng ký khai sinh 003 (3 chữ số đầu) không tồn tại"),
        ("097190012345", "mã tỉnh nơi đăng ký khai sinh 097 (3 chữ số đầu) không tồn tại"),
        ("000190012345", "mã tỉnh nơi đăng ký khai sinh 000 (3 chữ số đầu) không tồn tại"),
        ("001490012345", "chữ số thứ 4 (mã thế kỷ và giới tính) phải từ 0 đến 3"),
    ],
)
def test_personal_id_format(value: str, problem: str | None) -> None:
    assert formats.citizen_id_problem(value) == problem


def test_personal_id_province_codes_are_the_63_old_ones() -> None:
    codes = formats.ID_PROVINCE_CODES
    assert len(codes) == 63
    assert min(codes) == "001" and max(codes) == "096"
    assert {"001", "079", "046", "031", "048", "092"} <= codes
    assert not {"003", "005", "013", "016", "018", "090", "097"} & codes


def test_personal_id_encodes_century_sex_and_year() -> None:
    assert formats.citizen_id_birth("001190012345") == (1990, "Nữ")
    assert formats.citizen_id_birth("079088001234") == (1988, "Nam")
    assert formats.citizen_id_birth("046200004567") == (2000, "Nam")
    assert formats.citizen_id_birth("046305004567") == (2005, "Nữ")
    assert formats.citizen_id_birth("04630500456") is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0912345678", True),
        ("+84912345678", True),
        ("0358123456", True),
        ("0862 123 456", True),
        ("0212345678", False),
        ("091234567", False),
        ("09123456789", False),
        ("84912345678", False),
        ("0012345678", False),
    ],
)
def test_mobile_numbers(value: str, ok: bool) -> None:
    assert formats.is_mobile_vn(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("nhung@example.vn", True),
        ("a.b+c@sub.example.com.vn", True),
        ("nhung@", False),
        ("nhung@example", False),
        ("nhung example.vn", False),
        ("<script>@x.vn", False),
    ],
)
def test_email(value: str, ok: bool) -> None:
    assert formats.is_email(value) is ok


def test_person_names_allow_vietnamese_letters_only() -> None:
    assert formats.is_person_name("Nguyễn Thị Hồng Nhung")
    assert formats.is_person_name("H'Hen Niê")
    assert not formats.is_person_name("Nguyễn 123")
    assert not formats.is_person_name("<script>alert(1)</script>")
    assert not formats.is_person_name("   ")
