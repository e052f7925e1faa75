"""The sign request state machine: which moves are allowed and what each state means."""

from __future__ import annotations

from enum import StrEnum

from hoso_common.pdf_check import PROBLEMS as PDF_PROBLEMS


class SignStatus(StrEnum):
    REQUESTED = "requested"
    PREPARED = "prepared"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    FINISHING = "finishing"
    COMPLETED = "completed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"


FINAL_STATES: frozenset[SignStatus] = frozenset(
    {SignStatus.COMPLETED, SignStatus.REJECTED, SignStatus.EXPIRED, SignStatus.FAILED}
)

# Every move the service makes; anything else is a bug or a stale actor.
TRANSITIONS: dict[SignStatus, frozenset[SignStatus]] = {
    SignStatus.REQUESTED: frozenset({SignStatus.PREPARED, SignStatus.FAILED}),
    # The CA may answer (webhook) before we have recorded that we are awaiting it.
    SignStatus.PREPARED: frozenset(
        {
            SignStatus.AWAITING_APPROVAL,
            SignStatus.APPROVED,
            SignStatus.REJECTED,
            SignStatus.EXPIRED,
            SignStatus.FAILED,
        }
    ),
    SignStatus.AWAITING_APPROVAL: frozenset(
        {SignStatus.APPROVED, SignStatus.REJECTED, SignStatus.EXPIRED, SignStatus.FAILED}
    ),
    SignStatus.APPROVED: frozenset({SignStatus.FINISHING, SignStatus.FAILED}),
    # finishing -> finishing is a dead replica's claim taken over by another one.
    SignStatus.FINISHING: frozenset(
        {SignStatus.FINISHING, SignStatus.COMPLETED, SignStatus.FAILED}
    ),
    SignStatus.COMPLETED: frozenset(),
    SignStatus.REJECTED: frozenset(),
    SignStatus.EXPIRED: frozenset(),
    SignStatus.FAILED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, current: SignStatus, target: SignStatus) -> None:
        super().__init__(f"sign request cannot move from {current} to {target}")
        self.current = current
        self.target = target


def can_move(current: SignStatus, target: SignStatus) -> bool:
    return target in TRANSITIONS[current]


def sources_of(target: SignStatus) -> list[SignStatus]:
    """The states a conditional update to `target` must expect."""
    return [state for state, targets in TRANSITIONS.items() if target in targets]


def ensure_move(current: SignStatus, target: SignStatus) -> None:
    if not can_move(current, target):
        raise IllegalTransition(current, target)


def is_final(status: SignStatus) -> bool:
    return status in FINAL_STATES


ProviderOutcome = str  # "approved" | "rejected" | "expired" | "failed"

OUTCOME_STATUS: dict[str, SignStatus] = {
    "approved": SignStatus.APPROVED,
    "rejected": SignStatus.REJECTED,
    "expired": SignStatus.EXPIRED,
    "failed": SignStatus.FAILED,
}


def status_after_answer(outcome: str) -> SignStatus:
    """Where the CA's answer takes a request that awaits approval."""
    try:
        return OUTCOME_STATUS[outcome]
    except KeyError as error:
        raise ValueError(f"unknown provider outcome {outcome!r}") from error


def completed_outcome(status: SignStatus) -> str:
    """The `SignCompleted.status` a final state announces."""
    return {
        SignStatus.COMPLETED: "signed",
        SignStatus.REJECTED: "rejected",
        SignStatus.EXPIRED: "expired",
        SignStatus.FAILED: "failed",
    }[status]


# What the portal shows: "Thông báo chờ xử lý" while pending, then success or failure.
STATUS_MESSAGES: dict[SignStatus, str] = {
    SignStatus.REQUESTED: "Yêu cầu ký số đang được chuẩn bị.",
    SignStatus.PREPARED: "Đang gửi yêu cầu ký số tới nhà cung cấp chữ ký số.",
    SignStatus.AWAITING_APPROVAL: (
        "Thông báo chờ xử lý: vui lòng xác nhận yêu cầu ký số trên ứng dụng điện thoại."
    ),
    SignStatus.APPROVED: "Bạn đã xác nhận ký. Hệ thống đang hoàn tất chữ ký số.",
    SignStatus.FINISHING: "Bạn đã xác nhận ký. Hệ thống đang hoàn tất chữ ký số.",
    SignStatus.COMPLETED: "Ký số thành công.",
    SignStatus.REJECTED: "Ký số không thành công: bạn đã từ chối yêu cầu ký trên điện thoại.",
    SignStatus.EXPIRED: "Ký số không thành công: yêu cầu ký đã hết hạn mà chưa được xác nhận.",
    SignStatus.FAILED: "Ký số không thành công do lỗi hệ thống hoặc nhà cung cấp chữ ký số.",
}


# Shown instead of the phone message while an OTP provider waits for the code.
OTP_AWAITING_MESSAGE = (
    "Thông báo chờ xử lý: vui lòng nhập mã OTP nhà cung cấp chữ ký số đã gửi cho bạn."
)


def phase_of(status: SignStatus) -> str:
    """pending | success | failure, the three things the portal distinguishes."""
    if status is SignStatus.COMPLETED:
        return "success"
    if status in FINAL_STATES:
        return "failure"
    return "pending"


# Why a request failed, in words for the citizen; the keys are the stable reason codes.
FAILURE_MESSAGES: dict[str, str] = {
    "rejected": "Bạn đã từ chối yêu cầu ký trên điện thoại.",
    "expired": "Yêu cầu ký đã hết hạn mà chưa được xác nhận.",
    **{code: problem.message for code, problem in PDF_PROBLEMS.items()},
    "cannot_prepare": "Không thể chuẩn bị tài liệu để ký số.",
    "source_missing": "Không tìm thấy tệp cần ký.",
    "source_changed": "Tệp cần ký đã thay đổi so với yêu cầu ký.",
    "source_too_large": "Tệp cần ký vượt quá dung lượng cho phép.",
    "unknown_provider": "Nhà cung cấp chữ ký số không được hỗ trợ.",
    "invalid_provider_signature": "Chữ ký do nhà cung cấp trả về không hợp lệ.",
    "certificate_expired_or_revoked": "Chứng thư số của bạn đã hết hạn hoặc bị thu hồi.",
    "finish_attempts_exhausted": "Không thể hoàn tất chữ ký số sau nhiều lần thử.",
    "prepared_missing": "Không tìm thấy tài liệu đã chuẩn bị để ký, vui lòng ký lại.",
    "prepare_timeout": "Không gửi được yêu cầu ký tới nhà cung cấp chữ ký số.",
    "certificate_revoked": "Chứng thư số của bạn đã bị thu hồi.",
    "certificate_expired": "Chứng thư số của bạn đã hết hạn.",
    "provider_certificate_revoked": "Chứng thư số của bạn đã bị thu hồi.",
    "provider_certificate_expired": "Chứng thư số của bạn đã hết hạn.",
    "otp_attempts_exhausted": "Bạn đã nhập sai mã OTP quá số lần cho phép.",
    "provider_relying_party_refused": (
        "Nhà cung cấp chữ ký số từ chối thông tin xác thực của hệ thống. Vui lòng thử lại sau."
    ),
    "provider_agreement_not_found": "Bạn chưa có thỏa thuận ký số từ xa với nhà cung cấp này.",
}


def failure_message(reason: str | None) -> str | None:
    if reason is None:
        return None
    if reason in FAILURE_MESSAGES:
        return FAILURE_MESSAGES[reason]
    if reason.startswith("provider_"):
        return "Nhà cung cấp chữ ký số báo lỗi khi xử lý yêu cầu ký."
    return "Ký số không thành công."
