"""ApprovalDesk with a fake clock and a recording notifier: sign, reject, expire, approve-all."""

import asyncio
import base64
import hashlib
import secrets
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from hoso_sandbox_ca.approvals import ApprovalDesk, UnknownTransaction
from hoso_sandbox_ca.citizens import Citizen, CitizenRegistry
from hoso_sandbox_ca.domain.ledger import TransactionLedger
from hoso_sandbox_ca.domain.transactions import (
    DigestToSign,
    Provider,
    TransactionClosed,
    TransactionStatus,
)
from hoso_sandbox_ca.pki.authority import CertificateAuthority


class RecordingNotifier:
    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def notify(self, payload: dict[str, Any], trace: dict[str, str] | None = None) -> None:
        self.payloads.append(payload)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> CitizenRegistry:
    directory = tmp_path_factory.mktemp("ca")
    return CitizenRegistry(directory / "citizens", CertificateAuthority(directory / "pki", "x"))


def citizen_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


def digest() -> DigestToSign:
    return DigestToSign(
        f"doc-{secrets.token_hex(4)}", hashlib.sha256(secrets.token_bytes(8)).digest()
    )


def verify(citizen: Citizen, signature: bytes, item: DigestToSign) -> None:
    citizen.certificate.public_key().verify(  # type: ignore[union-attr, call-arg]
        signature, item.digest, padding.PKCS1v15(), Prehashed(hashes.SHA256())
    )


async def test_enroll_is_idempotent_under_concurrency(registry: CitizenRegistry) -> None:
    user_id = citizen_id()
    results = await asyncio.gather(*(registry.enroll(user_id) for _ in range(5)))
    assert len({id(citizen) for citizen, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert results[0][0].name == f"CÔNG DÂN {user_id}"


async def test_registry_reloads_citizens_with_their_keys(tmp_path: Path) -> None:
    authority = CertificateAuthority(tmp_path / "pki", "x")
    first = CitizenRegistry(tmp_path / "citizens", authority)
    citizen, _ = await first.enroll(citizen_id(), "Lê Văn C")
    again = CitizenRegistry(tmp_path / "citizens", CertificateAuthority(tmp_path / "pki", "x"))
    reloaded = again.get(citizen.user_id)
    assert reloaded is not None and reloaded.name == "Lê Văn C"
    item = digest()
    verify(citizen, reloaded.sign_digest(item.digest), item)
    assert again.by_serial(citizen.certificate.serial_number) is reloaded


async def test_approve_signs_every_digest_and_announces(registry: CitizenRegistry) -> None:
    notifier, clock = RecordingNotifier(), FakeClock()
    desk = ApprovalDesk(
        TransactionLedger(), registry, notifier, ttl_s=300, auto_approve_delay_s=None, clock=clock
    )
    citizen, _ = await registry.enroll(citizen_id())
    items = [digest(), digest()]
    transaction, created = desk.open(Provider.VNPT, "caller-1", citizen, "Tờ khai", items)
    again, created_again = desk.open(Provider.VNPT, "caller-1", citizen, "Tờ khai", items)
    assert created and not created_again and again is transaction
    desk.approve(transaction.id)
    assert transaction.status is TransactionStatus.SIGNED
    for item, signature in zip(items, transaction.signatures, strict=True):
        verify(citizen, signature, item)
    (payload,) = notifier.payloads
    assert payload["status_code"] == 200 and payload["sp_transaction_id"] == "caller-1"
    assert (
        base64.b64decode(payload["signed_files"][1]["signature_value"]) == transaction.signatures[1]
    )
    with pytest.raises(TransactionClosed):
        desk.approve(transaction.id)
    with pytest.raises(UnknownTransaction):
        desk.approve("nope")


async def test_viettel_transactions_are_not_announced(registry: CitizenRegistry) -> None:
    notifier = RecordingNotifier()
    desk = ApprovalDesk(
        TransactionLedger(), registry, notifier, ttl_s=300, auto_approve_delay_s=None
    )
    citizen, _ = await registry.enroll(citizen_id())
    transaction, _ = desk.open(Provider.VIETTEL, "r1", citizen, "Tờ khai", [digest()])
    desk.reject(transaction.id)
    assert transaction.status is TransactionStatus.REJECTED
    assert notifier.payloads == []


async def test_expiry_by_sweep_and_on_access(registry: CitizenRegistry) -> None:
    notifier, clock = RecordingNotifier(), FakeClock()
    desk = ApprovalDesk(
        TransactionLedger(), registry, notifier, ttl_s=60, auto_approve_delay_s=None, clock=clock
    )
    citizen, _ = await registry.enroll(citizen_id())
    swept, _ = desk.open(Provider.VNPT, "a", citizen, "A", [digest()])
    touched, _ = desk.open(Provider.VNPT, "b", citizen, "B", [digest()])
    clock.now += 59
    assert desk.expire_overdue() == 0
    clock.now += 1
    with pytest.raises(TransactionClosed) as closed:
        desk.approve(touched.id)
    assert closed.value.status is TransactionStatus.EXPIRED
    assert desk.expire_overdue() == 1
    assert swept.status is TransactionStatus.EXPIRED
    assert sorted(p["status_code"] for p in notifier.payloads) == [4001, 4001]


async def test_approve_all_skips_finished_and_overdue(registry: CitizenRegistry) -> None:
    notifier, clock = RecordingNotifier(), FakeClock()
    desk = ApprovalDesk(
        TransactionLedger(), registry, notifier, ttl_s=60, auto_approve_delay_s=None, clock=clock
    )
    citizen, _ = await registry.enroll(citizen_id())
    opened = [desk.open(Provider.VNPT, f"c{i}", citizen, "X", [digest()])[0] for i in range(120)]
    desk.reject(opened[0].id)
    assert await desk.approve_all() == 119
    assert all(t.status is TransactionStatus.SIGNED for t in opened[1:])
    assert len(notifier.payloads) == 120
    assert desk.ledger.pending_count == 0


async def test_auto_approve_after_delay(registry: CitizenRegistry) -> None:
    notifier = RecordingNotifier()
    desk = ApprovalDesk(
        TransactionLedger(), registry, notifier, ttl_s=60, auto_approve_delay_s=0.05
    )
    citizen, _ = await registry.enroll(citizen_id())
    transaction, _ = desk.open(Provider.VIETTEL, "r", citizen, "X", [digest()])
    assert transaction.is_pending()
    await asyncio.sleep(0.2)
    assert transaction.status is TransactionStatus.SIGNED
