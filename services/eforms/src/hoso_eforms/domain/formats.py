"""Vietnamese value formats: dates, personal id numbers, phone numbers, e-mail, names."""

from __future__ import annotations

import re
from datetime import date

DATE_VN = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
MOBILE_VN = re.compile(r"^(?:0|\+84)(?:3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-9])\d{7}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")

# The 63 province codes of the old administration, which the 12-digit personal id keeps
# (Thông tư 59/2021/TT-BCA); ids issued before 07/2025 never change.
ID_PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)


def parse_date_vn(value: str) -> date | None:
    """A dd/mm/yyyy date that exists on the calendar, or None."""
    match = DATE_VN.match(value)
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_problem(value: str) -> str | None:
    """Why `value` is not a dd/mm/yyyy calendar date (Vietnamese), or None when it is."""
    match = DATE_VN.match(value)
    if not match:
        return "phải có dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 05/09/1990"
    day, month, year = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        return f"tháng {month:02d} không tồn tại"
    if year < 1900:
        return "năm phải từ 1900 trở đi"
    try:
        date(year, month, day)
    except ValueError:
        return f"ngày {day:02d}/{month:02d}/{year} không có trên lịch"
    return None


def citizen_id_problem(value: str) -> str | None:
    """Why `value` is not a well-formed 12-digit personal id (Vietnamese), or None."""
    if not value.isascii() or not value.isdigit() or len(value) != 12:
        return "phải gồm đúng 12 chữ số"
    if value[:3] not in ID_PROVINCE_CODES:
        return f"mã tỉnh nơi đăng ký khai sinh {value[:3]} (3 chữ số đầu) không tồn tại"
    if value[3] not in "0123":
        return "chữ số thứ 4 (mã thế kỷ và giới tính) phải từ 0 đến 3"
    return None


def citizen_id_birth(value: str) -> tuple[int, str] | None:
    """Birth year and sex that a well-formed personal id encodes."""
    if citizen_id_problem(value) is not None:
        return None
    century = int(value[3])
    return 1900 + 100 * (century // 2) + int(value[4:6]), ("Nam" if century % 2 == 0 else "Nữ")


def is_mobile_vn(value: str) -> bool:
    return MOBILE_VN.match(value.replace(" ", "").replace(".", "")) is not None


def is_email(value: str) -> bool:
    return len(value) <= 254 and EMAIL.match(value) is not None


def is_person_name(value: str) -> bool:
    """Letters (with Vietnamese diacritics), spaces and the few marks that names use."""
    stripped = value.strip()
    return bool(stripped) and all(ch.isalpha() or ch in " '-." for ch in stripped)
