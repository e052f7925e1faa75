"""The sign request state machine and its portal texts."""

from __future__ import annotations

import itertools

import pytest

from hoso_signing.domain.states import (
    FINAL_STATES,
    IllegalTransition,
    SignStatus,
    can_move,
    completed_outcome,
    ensure_move,
    failure_message,
    phase_of,
    sources_of,
    status_after_answer,
)


def test_happy_path_is_allowed_in_order() -> None:
    path = [
        SignStatus.REQUESTED,
        SignStatus.PREPARED,
        SignStatus.AWAITING_APPROVAL,
        SignStatus.APPROVED,
        SignStatus.FINISHING,
        SignStatus.COMPLETED,
    ]
    for current, target in itertools.pairwise(path):
        ensure_move(current, target)


@pytest.mark.parametrize("final", sorted(FINAL_STATES))
def test_final_states_never_move(final: SignStatus) -> None:
    for target in SignStatus:
        assert not can_move(final, target)


def test_skipping_approval_is_illegal() -> None:
    with pytest.raises(IllegalTransition):
        ensure_move(SignStatus.AWAITING_APPROVAL, SignStatus.COMPLETED)
    with pytest.raises(IllegalTransition):
        ensure_move(SignStatus.REQUESTED, SignStatus.APPROVED)


def test_a_dead_replicas_finish_can_be_taken_over() -> None:
    assert can_move(SignStatus.FINISHING, SignStatus.FINISHING)


def test_answers_map_to_states_and_outcomes() -> None:
    assert status_after_answer("approved") is SignStatus.APPROVED
    assert status_after_answer("rejected") is SignStatus.REJECTED
    assert status_after_answer("expired") is SignStatus.EXPIRED
    assert completed_outcome(SignStatus.COMPLETED) == "signed"
    assert completed_outcome(SignStatus.EXPIRED) == "expired"
    with pytest.raises(ValueError):
        status_after_answer("maybe")


def test_only_awaiting_or_prepared_requests_take_an_answer() -> None:
    assert set(sources_of(SignStatus.APPROVED)) == {
        SignStatus.PREPARED,
        SignStatus.AWAITING_APPROVAL,
    }
    assert set(sources_of(SignStatus.COMPLETED)) == {SignStatus.FINISHING}


def test_portal_phases_and_messages() -> None:
    assert phase_of(SignStatus.AWAITING_APPROVAL) == "pending"
    assert phase_of(SignStatus.COMPLETED) == "success"
    assert phase_of(SignStatus.REJECTED) == "failure"
    assert failure_message("encrypted_pdf") == (
        "Tệp PDF được đặt mật khẩu (mã hóa) nên không ký số được. "
        "Vui lòng bỏ mật khẩu rồi tải lên lại."
    )
    assert failure_message("provider_500") is not None
    assert failure_message(None) is None
