"""Receipt codes: agency, Vietnamese date and a zero-padded daily sequence."""

from datetime import UTC, date, datetime

import pytest

from hoso_submission.domain.receipt import counter_id, is_receipt_code, local_day, receipt_code


def test_receipt_code_reads_agency_day_and_sequence() -> None:
    assert receipt_code("STP-HNI", date(2026, 11, 26), 123) == "STP-HNI-261126-000123"


def test_sequences_past_six_digits_still_fit() -> None:
    code = receipt_code("CA-HNI", date(2026, 1, 2), 1_234_567)
    assert code == "CA-HNI-260102-1234567"
    assert is_receipt_code(code)


def test_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError, match="sequence"):
        receipt_code("STP-HNI", date(2026, 11, 26), 0)


def test_day_is_the_day_in_vietnam() -> None:
    # 18:30 UTC is already 01:30 the next morning in Hà Nội.
    assert local_day(datetime(2026, 11, 26, 18, 30, tzinfo=UTC)) == date(2026, 11, 27)
    assert local_day(datetime(2026, 11, 26, 16, 59, tzinfo=UTC)) == date(2026, 11, 26)


def test_one_counter_per_agency_and_day() -> None:
    day = date(2026, 11, 26)
    assert counter_id("STP-HNI", day) == "STP-HNI:261126"
    assert counter_id("CA-HNI", day) != counter_id("STP-HNI", day)


def test_is_receipt_code_refuses_other_text() -> None:
    assert not is_receipt_code("stp-hni-261126-000123")
    assert not is_receipt_code("STP-HNI-2611-000123")
