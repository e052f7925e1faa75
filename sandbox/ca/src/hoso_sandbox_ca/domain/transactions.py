"""Sign transactions, their one-way state machine, and how each provider names the states."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hoso_common.signcloud import SignCloudCode


class Provider(StrEnum):
    VNPT = "vnpt-smartca"
    VIETTEL = "viettel-mysign"
    FPT = "fpt-esign"


class TransactionStatus(StrEnum):
    PENDING = "pending"
    SIGNED = "signed"
    REJECTED = "rejected"
    EXPIRED = "expired"


class TransactionClosed(Exception):
    """The transaction already ended; it cannot be approved, rejected or expired again."""

    def __init__(self, status: TransactionStatus) -> None:
        super().__init__(f"transaction already {status}")
        self.status = status


@dataclass(frozen=True)
class DigestToSign:
    doc_id: str
    digest: bytes


@dataclass(eq=False)
class SignTransaction:
    """One request to sign one or more SHA-256 digests with a citizen's key."""

    id: str
    provider: Provider
    caller_transaction_id: str
    tran_code: str
    user_id: str
    serial_number: int
    document_name: str
    digests: tuple[DigestToSign, ...]
    created_at: float
    expires_at: float
    status: TransactionStatus = TransactionStatus.PENDING
    finished_at: float | None = None
    signatures: tuple[bytes, ...] = field(default=(), repr=False)
    # Set when the signer authorizes with a one-time code instead of the phone app.
    otp: str | None = field(default=None, repr=False)
    otp_attempts_left: int = 0
    otp_locked: bool = False
    # The caller's W3C trace headers, echoed on the webhook so its trace continues there.
    trace: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def doc_id(self) -> str:
        return self.digests[0].doc_id

    def is_pending(self) -> bool:
        return self.status is TransactionStatus.PENDING

    def is_overdue(self, now: float) -> bool:
        return self.is_pending() and now >= self.expires_at

    def finish(
        self, status: TransactionStatus, now: float, signatures: tuple[bytes, ...] = ()
    ) -> None:
        if not self.is_pending():
            raise TransactionClosed(self.status)
        if status is TransactionStatus.PENDING:
            raise ValueError("a transaction cannot finish as pending")
        if (status is TransactionStatus.SIGNED) != bool(signatures):
            raise ValueError("signatures come with, and only with, a signed transaction")
        if status is TransactionStatus.SIGNED and len(signatures) != len(self.digests):
            raise ValueError("one signature per digest")
        self.status = status
        self.finished_at = now
        self.signatures = signatures


VNPT_MESSAGES = {
    TransactionStatus.PENDING: "WAITING_FOR_SIGNER_CONFIRM",
    TransactionStatus.SIGNED: "SUCCESS",
    TransactionStatus.REJECTED: "REJECTED",
    TransactionStatus.EXPIRED: "EXPIRED",
}
VNPT_TRAN_STATUS = {
    TransactionStatus.PENDING: "wait",
    TransactionStatus.SIGNED: "signed",
    TransactionStatus.REJECTED: "rejected",
    TransactionStatus.EXPIRED: "expired",
}
VNPT_WEBHOOK_CODES = {
    TransactionStatus.SIGNED: 200,
    TransactionStatus.REJECTED: 4002,
    TransactionStatus.EXPIRED: 4001,
}


class ViettelCode:
    OK = 1
    WAITING = 4000
    SIGNING = 6000
    TIMEOUT = 4001
    REJECTED = 4002
    FAILED = 4004
    CERTIFICATE_INVALID = 13004


VIETTEL_CODES = {
    TransactionStatus.PENDING: ViettelCode.WAITING,
    TransactionStatus.SIGNED: ViettelCode.OK,
    TransactionStatus.REJECTED: ViettelCode.REJECTED,
    TransactionStatus.EXPIRED: ViettelCode.TIMEOUT,
}


def iso_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="seconds")


def vnpt_webhook_payload(transaction: SignTransaction) -> dict[str, Any]:
    """The body the CA posts to the SP when a VNPT transaction ends."""
    return {
        "transaction_id": transaction.id,
        "sp_transaction_id": transaction.caller_transaction_id,
        "status_code": VNPT_WEBHOOK_CODES[transaction.status],
        "status": transaction.status.value,
        "signed_files": [
            {"doc_id": item.doc_id, "signature_value": base64.b64encode(signature).decode()}
            for item, signature in zip(transaction.digests, transaction.signatures, strict=False)
        ],
    }


SIGNCLOUD_MESSAGES = {
    SignCloudCode.SUCCESS: "SUCCESSFULLY",
    SignCloudCode.CREDENTIALS_INVALID: "INVALID RELYING PARTY CREDENTIALS",
    SignCloudCode.RELYING_PARTY_SIGNATURE_INVALID: "INVALID RELYING PARTY SIGNATURE",
    SignCloudCode.TIMESTAMP_INVALID: "TIMESTAMP OUT OF WINDOW",
    SignCloudCode.AGREEMENT_NOT_FOUND: "AGREEMENT NOT FOUND",
    SignCloudCode.OTP_INVALID: "INVALID AUTHORIZATION CODE",
    SignCloudCode.OTP_LOCKED: "AUTHORIZATION CODE LOCKED",
    SignCloudCode.WAITING_AUTHORIZATION: "WAITING FOR AUTHORIZATION",
    SignCloudCode.BILL_NOT_FOUND: "BILLCODE NOT FOUND",
    SignCloudCode.AUTHORIZATION_EXPIRED: "AUTHORIZATION EXPIRED",
    SignCloudCode.REJECTED_BY_SIGNER: "REJECTED BY SIGNER",
    SignCloudCode.CERTIFICATE_REVOKED: "CERTIFICATE REVOKED",
    SignCloudCode.CERTIFICATE_EXPIRED: "CERTIFICATE EXPIRED",
    SignCloudCode.REQUEST_INVALID: "INVALID REQUEST",
}


def signcloud_code(transaction: SignTransaction) -> int:
    if transaction.otp_locked:
        return SignCloudCode.OTP_LOCKED
    return {
        TransactionStatus.PENDING: SignCloudCode.WAITING_AUTHORIZATION,
        TransactionStatus.SIGNED: SignCloudCode.SUCCESS,
        TransactionStatus.REJECTED: SignCloudCode.REJECTED_BY_SIGNER,
        TransactionStatus.EXPIRED: SignCloudCode.AUTHORIZATION_EXPIRED,
    }[transaction.status]


def signcloud_answer(transaction: SignTransaction) -> dict[str, Any]:
    """A bill's state as SignCloud reports it, by polling or by notification."""
    code = signcloud_code(transaction)
    answer: dict[str, Any] = {
        "responseCode": code,
        "responseMessage": SIGNCLOUD_MESSAGES[code],
        "billCode": transaction.id,
        "relyingPartyBillCode": transaction.caller_transaction_id,
        "transactionCode": transaction.tran_code,
    }
    if transaction.status is TransactionStatus.SIGNED:
        answer["signatureValue"] = base64.b64encode(transaction.signatures[0]).decode()
    return answer
