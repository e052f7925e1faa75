"""The dossier status machine, on the DVCQG status codes 1–10 (0 is our draft).

Transition table (actor: action, from → to):

| actor   | action              | from                 | to                         |
|---------|---------------------|----------------------|----------------------------|
| citizen | submit              | 0 Nháp               | 1 Mới đăng ký              |
| citizen | resubmit            | 5                    | the status before 5        |
| citizen | withdraw (rút)      | 1, 2                 | 7 Công dân yêu cầu rút HS  |
| officer | accept (tiếp nhận)  | 1                    | 2 Được tiếp nhận           |
| officer | refuse              | 1                    | 3 Không được tiếp nhận     |
| officer | start_processing    | 2                    | 4 Đang xử lý               |
| officer | request_supplement  | 1, 2, 4              | 5 Yêu cầu bổ sung giấy tờ  |
| officer | request_payment     | 2, 4                 | 6 Yêu cầu nghĩa vụ tài chính |
| officer | confirm_payment     | 6                    | 4 Đang xử lý               |
| officer | stop (dừng xử lý)   | 2, 4, 5, 6           | 8 Dừng xử lý               |
| officer | complete            | 4                    | 9 Đã xử lý xong            |
| officer | return_result       | 9                    | 10 Đã trả kết quả          |

The citizen may withdraw only before processing starts (1 and 2). A supplement can be
asked at reception (1), after acceptance (2) or during processing (4); the resubmitted
dossier goes back to where it was, so the officer picks up the same step again.
Refusing, asking for a supplement and stopping need a note, because the citizen must be
told why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal


class DossierStatus(IntEnum):
    DRAFT = 0
    NEW = 1
    ACCEPTED = 2
    REFUSED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    PAYMENT_REQUESTED = 6
    WITHDRAWN = 7
    STOPPED = 8
    PROCESSED = 9
    RETURNED = 10


STATUS_NAMES: dict[DossierStatus, str] = {
    DossierStatus.DRAFT: "Nháp",
    DossierStatus.NEW: "Mới đăng ký",
    DossierStatus.ACCEPTED: "Được tiếp nhận",
    DossierStatus.REFUSED: "Không được tiếp nhận",
    DossierStatus.PROCESSING: "Đang xử lý",
    DossierStatus.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    DossierStatus.PAYMENT_REQUESTED: "Yêu cầu thực hiện nghĩa vụ tài chính",
    DossierStatus.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    DossierStatus.STOPPED: "Dừng xử lý",
    DossierStatus.PROCESSED: "Đã xử lý xong",
    DossierStatus.RETURNED: "Đã trả kết quả",
}

# While a dossier is in one of these, the citizen may change its components.
EDITABLE: frozenset[DossierStatus] = frozenset(
    {DossierStatus.DRAFT, DossierStatus.SUPPLEMENT_REQUESTED}
)

Actor = Literal["citizen", "officer"]


class Action(StrEnum):
    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    REFUSE = "refuse"
    START_PROCESSING = "start_processing"
    REQUEST_SUPPLEMENT = "request_supplement"
    REQUEST_PAYMENT = "request_payment"
    CONFIRM_PAYMENT = "confirm_payment"
    STOP = "stop"
    COMPLETE = "complete"
    RETURN_RESULT = "return_result"


@dataclass(frozen=True)
class Transition:
    action: Action
    actor: Actor
    sources: frozenset[DossierStatus]
    # None: back to the status the dossier had when the supplement was asked.
    target: DossierStatus | None
    note_required: bool = False
    label: str = ""


def _t(
    action: Action,
    actor: Actor,
    sources: set[DossierStatus],
    target: DossierStatus | None,
    label: str,
    *,
    note_required: bool = False,
) -> Transition:
    return Transition(action, actor, frozenset(sources), target, note_required, label)


S = DossierStatus
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.SUBMIT, "citizen", {S.DRAFT}, S.NEW, "Nộp hồ sơ"),
        _t(Action.RESUBMIT, "citizen", {S.SUPPLEMENT_REQUESTED}, None, "Nộp bổ sung"),
        _t(Action.WITHDRAW, "citizen", {S.NEW, S.ACCEPTED}, S.WITHDRAWN, "Rút hồ sơ"),
        _t(Action.ACCEPT, "officer", {S.NEW}, S.ACCEPTED, "Tiếp nhận"),
        _t(Action.REFUSE, "officer", {S.NEW}, S.REFUSED, "Không tiếp nhận", note_required=True),
        _t(Action.START_PROCESSING, "officer", {S.ACCEPTED}, S.PROCESSING, "Bắt đầu xử lý"),
        _t(
            Action.REQUEST_SUPPLEMENT,
            "officer",
            {S.NEW, S.ACCEPTED, S.PROCESSING},
            S.SUPPLEMENT_REQUESTED,
            "Yêu cầu bổ sung",
            note_required=True,
        ),
        _t(
            Action.REQUEST_PAYMENT,
            "officer",
            {S.ACCEPTED, S.PROCESSING},
            S.PAYMENT_REQUESTED,
            "Yêu cầu thực hiện nghĩa vụ tài chính",
        ),
        _t(Action.CONFIRM_PAYMENT, "officer", {S.PAYMENT_REQUESTED}, S.PROCESSING, "Đã nộp phí"),
        _t(
            Action.STOP,
            "officer",
            {S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED},
            S.STOPPED,
            "Dừng xử lý",
            note_required=True,
        ),
        _t(Action.COMPLETE, "officer", {S.PROCESSING}, S.PROCESSED, "Xử lý xong"),
        _t(Action.RETURN_RESULT, "officer", {S.PROCESSED}, S.RETURNED, "Trả kết quả"),
    )
}

OFFICER_ACTIONS: tuple[Action, ...] = tuple(
    a for a, t in TRANSITIONS.items() if t.actor == "officer"
)


class IllegalTransition(Exception):
    def __init__(self, action: Action, current: DossierStatus) -> None:
        super().__init__(f"{action} is not allowed from status {int(current)}")
        self.action = action
        self.current = current


class NoteRequired(Exception):
    pass


def next_status(
    action: Action,
    current: DossierStatus,
    *,
    resume_status: DossierStatus | None = None,
    note: str | None = None,
) -> DossierStatus:
    """The status `action` leads to from `current`; raises when the table forbids it."""
    transition = TRANSITIONS[action]
    if current not in transition.sources:
        raise IllegalTransition(action, current)
    if transition.note_required and not (note and note.strip()):
        raise NoteRequired(action)
    if transition.target is not None:
        return transition.target
    if resume_status is None or resume_status in EDITABLE:
        # A supplement asked before anything else resumes at reception.
        return DossierStatus.NEW
    return resume_status


def status_name(status: int) -> str:
    return STATUS_NAMES[DossierStatus(status)]
