"""Working days and due dates: weekends, the shipped holiday list of 2026 and 2027, Vietnam time."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hoso_submission.domain.calendar import (
    HolidayFileInvalid,
    WorkingCalendar,
    deadline_state,
    load_holidays,
    parse_holidays,
)

SHIPPED = WorkingCalendar(load_holidays())


def test_weekends_are_not_working_days() -> None:
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2026, 11, 27))  # Friday
    assert not calendar.is_working_day(date(2026, 11, 28))  # Saturday
    assert not calendar.is_working_day(date(2026, 11, 29))  # Sunday
    # Friday + 1 working day is Monday.
    assert calendar.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert calendar.add_working_days(date(2026, 11, 27), 5) == date(2026, 12, 4)


def test_zero_days_is_the_first_working_day_from_the_start() -> None:
    calendar = WorkingCalendar()
    assert calendar.add_working_days(date(2026, 11, 27), 0) == date(2026, 11, 27)
    assert calendar.add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # Tết Dương lịch
        date(2026, 2, 16),  # 29 tháng Chạp Ất Tỵ
        date(2026, 2, 17),  # mùng 1 Tết Bính Ngọ
        date(2026, 2, 20),  # mùng 4
        date(2026, 4, 27),  # Giỗ Tổ (Sunday 26/4) made up on Monday
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2027, 1, 1),
        date(2027, 2, 5),  # 29 tháng Chạp Bính Ngọ
        date(2027, 2, 8),
        date(2027, 2, 11),  # mùng 1 and 2 fell on the weekend
        date(2027, 4, 16),  # Giỗ Tổ Hùng Vương, 10/3 Đinh Mùi
        date(2027, 4, 30),
        date(2027, 5, 3),  # 1/5 was a Saturday
        date(2027, 9, 2),
        date(2027, 9, 3),
    ],
)
def test_the_shipped_list_holds_the_public_holidays(day: date) -> None:
    assert day.weekday() < 5
    assert not SHIPPED.is_working_day(day)


def test_tet_2026_pushes_a_deadline_past_the_holiday_week() -> None:
    # Received Friday 13/2/2026; Tết Bính Ngọ is Monday 16 to Friday 20 February.
    assert SHIPPED.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert SHIPPED.add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 25)
    assert WorkingCalendar().add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 18)


def test_national_day_2027() -> None:
    # Wednesday 1/9/2027 + 2 working days skips Thursday 2/9, Friday 3/9 and the weekend.
    assert SHIPPED.add_working_days(date(2027, 9, 1), 2) == date(2027, 9, 7)


def test_due_at_is_the_end_of_the_due_day_in_vietnam() -> None:
    # 18:30 UTC on Thursday is already Friday 01:30 in Vietnam: counting starts after Friday.
    received = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    due = SHIPPED.due_at(received, 1)
    assert due == datetime(2026, 11, 30, 16, 59, 59, 999000, tzinfo=UTC)


def test_a_holiday_file_replaces_the_shipped_list(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text('{"holidays": [{"date": "2026-12-01", "name": "Ngày nghỉ địa phương"}]}')
    calendar = WorkingCalendar(load_holidays(path))
    assert not calendar.is_working_day(date(2026, 12, 1))
    assert calendar.is_working_day(date(2026, 9, 2))
    assert calendar.add_working_days(date(2026, 11, 30), 1) == date(2026, 12, 2)


@pytest.mark.parametrize("text", ["{}", "[]", '{"holidays": [{"date": "2026-13-01"}]}', "x"])
def test_a_broken_holiday_file_is_refused(text: str) -> None:
    with pytest.raises(HolidayFileInvalid):
        parse_holidays(text)


def test_out_of_range_processing_time_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar().add_working_days(date(2026, 1, 1), -1)


def test_deadline_states() -> None:
    due = datetime(2026, 11, 30, 16, 59, 59, 999000, tzinfo=UTC)  # end of Monday 30/11, ICT
    monday_morning = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert deadline_state(due, True, monday_morning) == "due_today"
    assert deadline_state(due, True, datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == "overdue"
    assert deadline_state(due, True, datetime(2026, 11, 27, 2, 0, tzinfo=UTC)) == "on_time"
    # The clock stops while the citizen supplies papers, and at the end.
    assert deadline_state(due, False, datetime(2026, 12, 30, tzinfo=UTC)) is None
    assert deadline_state(None, True, monday_morning) is None
