"""Sign transaction state machine, provider status mappings and the in-memory ledger."""

import base64

import pytest

from hoso_sandbox_ca.domain.ledger import TransactionLedger
from hoso_sandbox_ca.domain.transactions import (
    VIETTEL_CODES,
    VNPT_MESSAGES,
    VNPT_TRAN_STATUS,
    DigestToSign,
    Provider,
    SignTransaction,
    TransactionClosed,
    TransactionStatus,
    vnpt_webhook_payload,
)


def transaction(
    id: str = "t1",
    *,
    caller: str = "c1",
    user_id: str = "001203004567",
    created_at: float = 100.0,
    ttl: float = 300.0,
    digests: int = 1,
    provider: Provider = Provider.VNPT,
) -> SignTransaction:
    return SignTransaction(
        id=id,
        provider=provider,
        caller_transaction_id=caller,
        tran_code="ABC123",
        user_id=user_id,
        serial_number=42,
        document_name="Giấy khai sinh",
        digests=tuple(DigestToSign(f"doc-{i}", bytes([i]) * 32) for i in range(digests)),
        created_at=created_at,
        expires_at=created_at + ttl,
    )


def test_finish_is_one_way() -> None:
    t = transaction()
    t.finish(TransactionStatus.REJECTED, 101.0)
    with pytest.raises(TransactionClosed) as closed:
        t.finish(TransactionStatus.SIGNED, 102.0, (b"sig",))
    assert closed.value.status is TransactionStatus.REJECTED
    assert t.finished_at == 101.0


def test_signed_needs_one_signature_per_digest() -> None:
    t = transaction(digests=2)
    with pytest.raises(ValueError):
        t.finish(TransactionStatus.SIGNED, 101.0, (b"only-one",))
    with pytest.raises(ValueError):
        t.finish(TransactionStatus.EXPIRED, 101.0, (b"a", b"b"))
    t.finish(TransactionStatus.SIGNED, 101.0, (b"a", b"b"))
    assert t.status is TransactionStatus.SIGNED


def test_overdue_only_while_pending() -> None:
    t = transaction(created_at=0.0, ttl=10.0)
    assert not t.is_overdue(9.9)
    assert t.is_overdue(10.0)
    t.finish(TransactionStatus.REJECTED, 5.0)
    assert not t.is_overdue(20.0)


def test_every_status_has_provider_names() -> None:
    for status in TransactionStatus:
        assert status in VNPT_MESSAGES and status in VNPT_TRAN_STATUS and status in VIETTEL_CODES
    assert VNPT_MESSAGES[TransactionStatus.PENDING] == "WAITING_FOR_SIGNER_CONFIRM"
    assert VIETTEL_CODES[TransactionStatus.PENDING] == 4000
    assert VIETTEL_CODES[TransactionStatus.SIGNED] == 1
    assert VIETTEL_CODES[TransactionStatus.EXPIRED] == 4001
    assert VIETTEL_CODES[TransactionStatus.REJECTED] == 4002


def test_vnpt_webhook_payload_shapes() -> None:
    signed = transaction(digests=2)
    signed.finish(TransactionStatus.SIGNED, 101.0, (b"s0", b"s1"))
    assert vnpt_webhook_payload(signed) == {
        "transaction_id": "t1",
        "sp_transaction_id": "c1",
        "status_code": 200,
        "status": "signed",
        "signed_files": [
            {"doc_id": "doc-0", "signature_value": base64.b64encode(b"s0").decode()},
            {"doc_id": "doc-1", "signature_value": base64.b64encode(b"s1").decode()},
        ],
    }
    rejected = transaction()
    rejected.finish(TransactionStatus.REJECTED, 101.0)
    assert vnpt_webhook_payload(rejected)["status_code"] == 4002
    assert vnpt_webhook_payload(rejected)["signed_files"] == []
    expired = transaction()
    expired.finish(TransactionStatus.EXPIRED, 400.0)
    assert (
        vnpt_webhook_payload(expired)["status_code"],
        vnpt_webhook_payload(expired)["status"],
    ) == (
        4001,
        "expired",
    )


def test_ledger_indexes() -> None:
    ledger = TransactionLedger()
    a = transaction("a", caller="ca", created_at=1.0)
    b = transaction("b", caller="cb", created_at=2.0)
    other = transaction("o", caller="co", user_id="079198001234")
    viettel_same_caller = transaction("v", caller="ca", provider=Provider.VIETTEL)
    for t in (a, b, other, viettel_same_caller):
        ledger.add(t)
    with pytest.raises(ValueError):
        ledger.add(transaction("dup", caller="ca"))
    assert ledger.by_caller(Provider.VNPT, "ca") is a
    assert ledger.by_caller(Provider.VIETTEL, "ca") is viettel_same_caller
    assert ledger.by_caller(Provider.VNPT, "missing") is None
    mine = ledger.for_user("001203004567", pending_only=True)
    assert {t.id for t in mine} == {"a", "b", "v"}
    assert mine[0].created_at >= mine[-1].created_at
    b.finish(TransactionStatus.SIGNED, 3.0, (b"x",))
    ledger.mark_finished(b)
    assert {t.id for t in ledger.for_user("001203004567", pending_only=True)} == {"a", "v"}
    assert {t.id for t in ledger.for_user("001203004567", pending_only=False)} == {"a", "b", "v"}
    assert ledger.pending_count == 3


def test_ledger_overdue_yields_each_pending_once() -> None:
    ledger = TransactionLedger()
    early = transaction("early", caller="1", created_at=0.0, ttl=5.0)
    late = transaction("late", caller="2", created_at=0.0, ttl=50.0)
    done = transaction("done", caller="3", created_at=0.0, ttl=5.0)
    for t in (early, late, done):
        ledger.add(t)
    done.finish(TransactionStatus.REJECTED, 1.0)
    ledger.mark_finished(done)
    assert [t.id for t in ledger.overdue(10.0)] == ["early"]
    assert list(ledger.overdue(10.0)) == []
    assert [t.id for t in ledger.overdue(60.0)] == ["late"]


def test_ledger_forgets_old_finished_transactions() -> None:
    ledger = TransactionLedger()
    old = transaction("old", caller="1")
    fresh = transaction("fresh", caller="2")
    for t in (old, fresh):
        ledger.add(t)
    old.finish(TransactionStatus.REJECTED, 10.0)
    ledger.mark_finished(old)
    fresh.finish(TransactionStatus.REJECTED, 100.0)
    ledger.mark_finished(fresh)
    assert ledger.forget_finished_before(50.0) == 1
    assert ledger.get("old") is None and ledger.by_caller(Provider.VNPT, "1") is None
    assert ledger.get("fresh") is fresh
    assert len(ledger) == 1
