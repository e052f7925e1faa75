"""The citizen's side of a sign request: open, approve (sign), reject, expire, and announce."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import string
import time
import uuid
from collections.abc import Callable, Mapping, Sequence

from hoso_sandbox_ca.citizens import Citizen, CitizenRegistry
from hoso_sandbox_ca.domain.ledger import TransactionLedger
from hoso_sandbox_ca.domain.transactions import (
    DigestToSign,
    Provider,
    SignTransaction,
    TransactionClosed,
    TransactionStatus,
    signcloud_answer,
    vnpt_webhook_payload,
)
from hoso_sandbox_ca.webhooks import Notifier

logger = logging.getLogger(__name__)

TRAN_CODE_ALPHABET = string.ascii_uppercase + string.digits
# approve-all gives the event loop back after this many RSA signatures (~1 ms each).
SIGNATURES_PER_SLICE = 50


class UnknownTransaction(LookupError):
    pass


class OtpNotExpected(Exception):
    """The transaction is authorized on the phone, not with a one-time code."""


class ApprovalDesk:
    """Keeps every rule about a transaction's life in one place; the HTTP layers only map."""

    def __init__(
        self,
        ledger: TransactionLedger,
        citizens: CitizenRegistry,
        notifier: Notifier,
        *,
        ttl_s: float,
        auto_approve_delay_s: float | None,
        clock: Callable[[], float] = time.time,
        webhook_urls: Mapping[Provider, str] | None = None,
    ) -> None:
        # Providers other than VNPT whose results are pushed, and where to.
        self.webhook_urls = dict(webhook_urls or {})
        self.ledger = ledger
        self.citizens = citizens
        self.notifier = notifier
        self.ttl_s = ttl_s
        self.auto_approve_delay_s = auto_approve_delay_s
        self.clock = clock

    def open(
        self,
        provider: Provider,
        caller_transaction_id: str,
        citizen: Citizen,
        document_name: str,
        digests: Sequence[DigestToSign],
        trace: dict[str, str] | None = None,
        *,
        otp_attempts: int | None = None,
    ) -> tuple[SignTransaction, bool]:
        """The transaction for this caller id, created if new; True when created.

        With `otp_attempts` the signer authorizes with a one-time code (shown on the phone
        page in place of an SMS) and may get it wrong that many times.
        """
        existing = self.ledger.by_caller(provider, caller_transaction_id)
        if existing is not None:
            return existing, False
        now = self.clock()
        transaction = SignTransaction(
            id=uuid.uuid4().hex,
            provider=provider,
            caller_transaction_id=caller_transaction_id,
            tran_code="".join(secrets.choice(TRAN_CODE_ALPHABET) for _ in range(6)),
            user_id=citizen.user_id,
            serial_number=citizen.certificate.serial_number,
            document_name=document_name,
            digests=tuple(digests),
            created_at=now,
            expires_at=now + self.ttl_s,
            trace=dict(trace or {}),
        )
        if otp_attempts is not None:
            transaction.otp = "".join(secrets.choice(string.digits) for _ in range(6))
            transaction.otp_attempts_left = otp_attempts
        self.ledger.add(transaction)
        if self.auto_approve_delay_s is not None:
            asyncio.get_running_loop().call_later(
                self.auto_approve_delay_s, self._auto_approve, transaction.id
            )
        logger.info(
            "sign request opened",
            extra={
                "transaction_id": transaction.id,
                "provider": provider.value,
                "user_id": citizen.user_id,
                "digests": len(transaction.digests),
            },
        )
        return transaction, True

    def get(self, transaction_id: str) -> SignTransaction:
        """The transaction, expired first if its deadline passed before the sweep saw it."""
        transaction = self.ledger.get(transaction_id)
        if transaction is None:
            raise UnknownTransaction(transaction_id)
        if transaction.is_overdue(self.clock()):
            self._finish(transaction, TransactionStatus.EXPIRED)
        return transaction

    def approve(self, transaction_id: str) -> SignTransaction:
        """Sign every digest with the citizen's key; TransactionClosed if no longer pending."""
        transaction = self.get(transaction_id)
        if not transaction.is_pending():
            raise TransactionClosed(transaction.status)
        self._sign(transaction)
        return transaction

    def authorize_otp(self, transaction_id: str, otp: str) -> SignTransaction:
        """Sign if the code matches; a wrong code uses an attempt, the last one locks the bill.

        TransactionClosed if no longer pending, OtpNotExpected for a phone-app transaction.
        """
        transaction = self.get(transaction_id)
        if not transaction.is_pending():
            raise TransactionClosed(transaction.status)
        if transaction.otp is None:
            raise OtpNotExpected()
        if secrets.compare_digest(otp.encode(), transaction.otp.encode()):
            self._sign(transaction)
            return transaction
        transaction.otp_attempts_left = max(transaction.otp_attempts_left - 1, 0)
        if transaction.otp_attempts_left == 0:
            transaction.otp_locked = True
            self._finish(transaction, TransactionStatus.REJECTED)
        return transaction

    def reject(self, transaction_id: str) -> SignTransaction:
        transaction = self.get(transaction_id)
        self._finish(transaction, TransactionStatus.REJECTED)
        return transaction

    async def approve_all(self) -> int:
        """Approve every pending transaction now; webhooks go out concurrently (bounded)."""
        approved = 0
        now = self.clock()
        for index, transaction in enumerate(self.ledger.pending(), start=1):
            if transaction.is_pending() and not transaction.is_overdue(now):
                self._sign(transaction)
                approved += 1
            if index % SIGNATURES_PER_SLICE == 0:
                await asyncio.sleep(0)
        logger.info("approved all pending requests", extra={"count": approved})
        return approved

    def expire_overdue(self) -> int:
        expired = 0
        for transaction in self.ledger.overdue(self.clock()):
            self._finish(transaction, TransactionStatus.EXPIRED)
            expired += 1
        return expired

    async def sweep_forever(self, interval_s: float, retention_s: float) -> None:
        """Expire overdue requests (firing their webhooks) and forget old finished ones."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                expired = self.expire_overdue()
                forgotten = self.ledger.forget_finished_before(self.clock() - retention_s)
                if expired or forgotten:
                    logger.info("sweep", extra={"expired": expired, "forgotten": forgotten})
            except Exception:
                logger.exception("sweep failed")

    def _sign(self, transaction: SignTransaction) -> None:
        citizen = self.citizens.by_serial(transaction.serial_number)
        if citizen is None:
            raise RuntimeError(f"no key for serial {transaction.serial_number:x}")
        signatures = tuple(citizen.sign_digest(item.digest) for item in transaction.digests)
        self._finish(transaction, TransactionStatus.SIGNED, signatures)

    def _finish(
        self,
        transaction: SignTransaction,
        status: TransactionStatus,
        signatures: tuple[bytes, ...] = (),
    ) -> None:
        transaction.finish(status, self.clock(), signatures)
        self.ledger.mark_finished(transaction)
        logger.info(
            "sign request finished",
            extra={"transaction_id": transaction.id, "status": status.value},
        )
        if transaction.provider is Provider.VNPT:
            self.notifier.notify(vnpt_webhook_payload(transaction), transaction.trace)
        elif transaction.provider is Provider.FPT and Provider.FPT in self.webhook_urls:
            self.notifier.notify(
                signcloud_answer(transaction),
                transaction.trace,
                url=self.webhook_urls[Provider.FPT],
            )

    def _auto_approve(self, transaction_id: str) -> None:
        with contextlib.suppress(UnknownTransaction, TransactionClosed):
            self.approve(transaction_id)
