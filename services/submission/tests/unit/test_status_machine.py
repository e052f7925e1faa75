"""The dossier status machine follows the documented transition table."""

import pytest

from hoso_submission.domain.status import (
    OFFICER_ACTIONS,
    TRANSITIONS,
    Action,
    DossierStatus,
    IllegalTransition,
    NoteRequired,
    next_status,
    status_name,
)

S = DossierStatus


def test_submit_makes_a_draft_new() -> None:
    assert next_status(Action.SUBMIT, S.DRAFT) == S.NEW


@pytest.mark.parametrize(
    ("action", "current", "expected"),
    [
        (Action.ACCEPT, S.NEW, S.ACCEPTED),
        (Action.START_PROCESSING, S.ACCEPTED, S.PROCESSING),
        (Action.REQUEST_PAYMENT, S.PROCESSING, S.PAYMENT_REQUESTED),
        (Action.CONFIRM_PAYMENT, S.PAYMENT_REQUESTED, S.PROCESSING),
        (Action.COMPLETE, S.PROCESSING, S.PROCESSED),
        (Action.RETURN_RESULT, S.PROCESSED, S.RETURNED),
        (Action.WITHDRAW, S.NEW, S.WITHDRAWN),
        (Action.WITHDRAW, S.ACCEPTED, S.WITHDRAWN),
    ],
)
def test_allowed_transitions(
    action: Action, current: DossierStatus, expected: DossierStatus
) -> None:
    assert next_status(action, current) == expected


@pytest.mark.parametrize(
    ("action", "current"),
    [
        (Action.ACCEPT, S.DRAFT),
        (Action.ACCEPT, S.ACCEPTED),
        (Action.COMPLETE, S.ACCEPTED),
        (Action.RETURN_RESULT, S.PROCESSING),
        (Action.WITHDRAW, S.PROCESSING),
        (Action.WITHDRAW, S.DRAFT),
        (Action.SUBMIT, S.NEW),
        (Action.RESUBMIT, S.PROCESSING),
        (Action.START_PROCESSING, S.REFUSED),
    ],
)
def test_illegal_transitions_raise(action: Action, current: DossierStatus) -> None:
    with pytest.raises(IllegalTransition):
        next_status(action, current, note="lý do")


def test_final_statuses_allow_nothing() -> None:
    for final in (S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RETURNED):
        for action in Action:
            with pytest.raises(IllegalTransition):
                next_status(action, final, note="lý do")


@pytest.mark.parametrize("action", [Action.REFUSE, Action.REQUEST_SUPPLEMENT, Action.STOP])
def test_reasons_are_required_where_the_citizen_must_be_told_why(action: Action) -> None:
    source = next(iter(TRANSITIONS[action].sources))
    with pytest.raises(NoteRequired):
        next_status(action, source, note="  ")
    assert next_status(action, source, note="Thiếu giấy tờ").value >= 1


@pytest.mark.parametrize("asked_at", [S.NEW, S.ACCEPTED, S.PROCESSING])
def test_resubmission_resumes_where_the_supplement_was_asked(asked_at: DossierStatus) -> None:
    assert next_status(Action.REQUEST_SUPPLEMENT, asked_at, note="Bổ sung CCCD") == (
        S.SUPPLEMENT_REQUESTED
    )
    assert next_status(Action.RESUBMIT, S.SUPPLEMENT_REQUESTED, resume_status=asked_at) == asked_at


def test_officer_actions_exclude_the_citizens() -> None:
    assert Action.SUBMIT not in OFFICER_ACTIONS
    assert Action.WITHDRAW not in OFFICER_ACTIONS
    assert Action.ACCEPT in OFFICER_ACTIONS


def test_every_dvcqg_code_has_its_vietnamese_name() -> None:
    assert status_name(1) == "Mới đăng ký"
    assert status_name(2) == "Được tiếp nhận"
    assert status_name(10) == "Đã trả kết quả"
    assert {int(s) for s in S} == set(range(11))
