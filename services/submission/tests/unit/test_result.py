"""The dossier's result with fakes: who may sign it, SignCompleted applied once, "Hoàn thành"
only with a valid signed result, and "Trả kết quả" announcing it in the same write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hoso_common.auth import Principal
from hoso_common.errors import AppError
from hoso_common.events import EventData, ObjectRef, SignCompleted
from hoso_common.outbox import push_events
from hoso_submission.domain.dossier import Dossier, HistoryEntry, SignatureCheck
from hoso_submission.domain.result import (
    DossierResult,
    ResultProblem,
    ResultStatus,
    completion_problem,
    signature_problem,
)
from hoso_submission.domain.status import Action, DossierStatus
from hoso_submission.errors import (
    DossierNotFound,
    ResultMissing,
    ResultNotEditable,
    ResultNotFound,
    ResultNotSigned,
    ResultSignatureInvalid,
    ResultSigning,
    SignerIdMissing,
)
from hoso_submission.service import DossierService

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OFFICER = Principal(
    sub="officer-1",
    roles=frozenset({"officer"}),
    name="Lê Minh Cường",
    citizen_id="001085000101",
    agency="STP-HNI",
)
NO_ID_OFFICER = Principal(sub="officer-2", roles=frozenset({"officer"}), agency="STP-HNI")
OTHER_AGENCY = Principal(
    sub="officer-3", roles=frozenset({"officer"}), citizen_id="001085000303", agency="CA-HNI"
)
CITIZEN = Principal(sub="citizen-1", roles=frozenset({"citizen"}), citizen_id="001090000001")
VALID = SignatureCheck(signed=True, intact=True, trusted=True, signers=["LÊ MINH CƯỜNG"])


def ref(key: str, bucket: str = "hoso-submission") -> ObjectRef:
    return ObjectRef(
        bucket=bucket,
        key=key,
        version=1,
        sha256="b" * 64,
        size=1200,
        content_type="application/pdf",
        filename="ket-qua.pdf",
    )


def result(status: ResultStatus = ResultStatus.UPLOADED, **extra: Any) -> DossierResult:
    return DossierResult(
        status=status, original=ref("orig"), uploaded_by="officer-1", uploaded_at=NOW, **extra
    )


def dossier(status: DossierStatus, dossier_result: DossierResult | None = None) -> Dossier:
    return Dossier(
        id="d" * 32,
        owner_id="citizen-1",
        procedure_code="2.000488",
        procedure_name="Cấp Phiếu lý lịch tư pháp",
        agency_code="STP-HNI",
        status=status,
        receipt_code="STP-HNI-261130-000001",
        result=dossier_result,
        created_at=NOW,
        updated_at=NOW,
    )


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


class FakeDossiers:
    """The repository's conditional writes, in memory; keeps every event pushed."""

    def __init__(self, stored: Dossier) -> None:
        self.stored = stored
        self.events: list[dict[str, Any]] = []

    async def get(self, dossier_id: str) -> Dossier | None:
        return self.stored if dossier_id == self.stored.id else None

    def _events(self, events: list[EventData], correlation_id: str | None = None) -> None:
        # Stored as the repository stores them: the outbox entries' envelopes.
        if events:
            outbox = push_events(*events, source="/hoso/submission", correlation_id=correlation_id)
            self.events += [entry["value"] for entry in outbox["outbox"]["$each"]]

    def _apply(self, fields: dict[str, Any], **top: Any) -> Dossier:
        data = self.stored.model_dump(mode="python")
        for path, value in fields.items():
            _set_path(data, path, value)
        data.update(top, revision=self.stored.revision + 1)
        self.stored = Dossier.model_validate(data)
        return self.stored

    async def set_result(
        self,
        read: Dossier,
        new: DossierResult,
        now: datetime,
        *,
        events: list[EventData] = [],  # noqa: B006 - never mutated
        correlation_id: str | None = None,
    ) -> Dossier | None:
        if (read.status, read.revision) != (self.stored.status, self.stored.revision):
            return None
        self._events(events, correlation_id)
        return self._apply({"result": new.model_dump(mode="python")})

    async def record_result_signature(
        self, dossier_id: str, request_id: str, fields: dict[str, Any], now: datetime
    ) -> Dossier | None:
        current = self.stored.result
        if (
            current is None
            or current.status is not ResultStatus.SIGNING
            or current.sign_request is None
            or current.sign_request.request_id != request_id
        ):
            return None
        return self._apply({f"result.{k}": v for k, v in fields.items()})

    async def change_status(
        self,
        read: Dossier,
        *,
        entry: HistoryEntry,
        events: list[EventData],
        fields: dict[str, Any] | None = None,
        submission: Any = None,
    ) -> Dossier | None:
        if (read.status, read.revision) != (self.stored.status, self.stored.revision):
            return None
        self._events(events)
        return self._apply(fields or {}, status=entry.to_status)


class FakeAttachments:
    def __init__(self) -> None:
        self.copied: list[tuple[str, str]] = []
        self.deleted: list[str] = []

    async def copy_in(self, source: ObjectRef, key: str) -> ObjectRef:
        self.copied.append((source.key, key))
        return source.model_copy(update={"bucket": "hoso-submission", "key": key})

    async def delete(self, key: str) -> None:
        self.deleted.append(key)


class FakeValidator:
    def __init__(self, check: SignatureCheck = VALID) -> None:
        self.check = check
        self.asked: list[tuple[str, str, str]] = []

    async def validate(self, stored: ObjectRef, token: str, subject: str) -> SignatureCheck:
        self.asked.append((stored.key, token, subject))
        return self.check


def service(
    stored: Dossier, validator: FakeValidator | None = None
) -> tuple[DossierService, FakeDossiers]:
    dossiers = FakeDossiers(stored)
    nudged: list[str] = []
    return (
        DossierService(
            dossiers=dossiers,  # type: ignore[arg-type]
            procedures=None,  # type: ignore[arg-type]
            counters=None,  # type: ignore[arg-type]
            attachments=FakeAttachments(),  # type: ignore[arg-type]
            vault=None,  # type: ignore[arg-type]
            eforms=None,  # type: ignore[arg-type]
            validator=validator or FakeValidator(),
            nudge=nudged.append,
        ),
        dossiers,
    )


def completed(request_id: str, status: str = "signed") -> SignCompleted:
    return SignCompleted(
        request_id=request_id,
        source="submission",
        source_id="d" * 32,
        status=status,  # type: ignore[arg-type]
        signer_sub="officer-1",
        signed_object=ref("signed.pdf", bucket="hoso-signing") if status == "signed" else None,
        signature_format="pades" if status == "signed" else None,
        signer_name="LÊ MINH CƯỜNG" if status == "signed" else None,
        signed_at=NOW if status == "signed" else None,
        failure_reason=None if status == "signed" else "rejected",
    )


def test_completion_needs_a_signed_result_that_validates() -> None:
    assert completion_problem(None) is ResultProblem.MISSING
    assert completion_problem(result()) is ResultProblem.NOT_SIGNED
    assert completion_problem(result(ResultStatus.SIGNING)) is ResultProblem.NOT_SIGNED
    signed = result(ResultStatus.SIGNED, signed=ref("s"))
    assert completion_problem(signed) is None
    assert signature_problem(VALID) is None
    changed = VALID.model_copy(update={"intact": False})
    assert signature_problem(changed) is ResultProblem.SIGNATURE_INVALID
    untrusted = VALID.model_copy(update={"trusted": False})
    assert signature_problem(untrusted) is ResultProblem.SIGNATURE_INVALID
    assert signature_problem(SignatureCheck(signed=False, intact=False, trusted=False)) is (
        ResultProblem.NOT_SIGNED
    )


@pytest.mark.parametrize(
    ("who", "error"),
    [
        (NO_ID_OFFICER, SignerIdMissing),
        (OTHER_AGENCY, DossierNotFound),
        (CITIZEN, DossierNotFound),
        (
            Principal(
                sub="citizen-2",
                roles=frozenset({"citizen"}),
                citizen_id="001090000002",
                agency="STP-HNI",
            ),
            DossierNotFound,
        ),
    ],
)
async def test_only_a_signing_officer_of_the_agency_asks_for_the_signature(
    who: Principal, error: type[AppError]
) -> None:
    svc, dossiers = service(dossier(DossierStatus.PROCESSING, result()))
    with pytest.raises(error):
        await svc.sign_result(who, "d" * 32, "vnpt-smartca")
    assert dossiers.events == [] and dossiers.stored.result is not None
    assert dossiers.stored.result.status is ResultStatus.UPLOADED


async def test_the_sign_request_leaves_in_the_same_write_as_the_signing_state() -> None:
    svc, dossiers = service(dossier(DossierStatus.PROCESSING, result()))
    updated = await svc.sign_result(OFFICER, "d" * 32, "vnpt-smartca")
    assert updated.result is not None and updated.result.status is ResultStatus.SIGNING
    [event] = dossiers.events
    assert event["type"] == "vn.hoso.signing.SignRequested"
    data = event["data"]
    assert data["source"] == "submission" and data["source_id"] == "d" * 32
    assert data["signer_id"] == OFFICER.citizen_id and data["signer_sub"] == OFFICER.sub
    assert data["object"]["key"] == "orig"
    assert data["document_name"] == "Kết quả giải quyết hồ sơ STP-HNI-261130-000001"
    assert updated.result.sign_request is not None
    assert updated.result.sign_request.request_id == data["request_id"]
    with pytest.raises(ResultSigning):
        await svc.sign_result(OFFICER, "d" * 32, "vnpt-smartca")
    with pytest.raises(ResultSigning):
        await svc.upload_result(OFFICER, "d" * 32, "moi.pdf", _no_chunks())


async def _no_chunks() -> Any:
    if False:  # pragma: no cover - an empty stream
        yield b""


async def test_nothing_changes_the_result_outside_processing() -> None:
    svc, _ = service(dossier(DossierStatus.PROCESSED, result()))
    with pytest.raises(ResultNotEditable):
        await svc.sign_result(OFFICER, "d" * 32, "vnpt-smartca")
    svc, _ = service(dossier(DossierStatus.PROCESSING, None))
    with pytest.raises(ResultNotFound):
        await svc.sign_result(OFFICER, "d" * 32, "vnpt-smartca")


async def test_sign_completed_is_applied_once_and_only_for_the_awaited_request() -> None:
    svc, dossiers = service(dossier(DossierStatus.PROCESSING, result()))
    asked = await svc.sign_result(OFFICER, "d" * 32, "vnpt-smartca")
    assert asked.result is not None and asked.result.sign_request is not None
    request_id = asked.result.sign_request.request_id

    assert not await svc.record_result_signature(completed("someone-else"))
    eforms = completed(request_id).model_copy(update={"source": "eforms"})
    assert not await svc.record_result_signature(eforms)
    assert await svc.record_result_signature(completed(request_id))
    revision = dossiers.stored.revision
    assert not await svc.record_result_signature(completed(request_id))  # redelivered
    assert dossiers.stored.revision == revision

    signed = dossiers.stored.result
    assert signed is not None and signed.status is ResultStatus.SIGNED
    assert signed.signed is not None and signed.signed.bucket == "hoso-submission"
    assert signed.signed.filename == "ket-qua-giai-quyet-STP-HNI-261130-000001.pdf"
    assert signed.signature is not None and signed.signature.signed_by == OFFICER.sub
    assert signed.signature.signer_name == "LÊ MINH CƯỜNG"


async def test_a_rejection_leaves_the_result_to_sign_again() -> None:
    svc, dossiers = service(dossier(DossierStatus.PROCESSING, result()))
    asked = await svc.sign_result(OFFICER, "d" * 32, "vnpt-smartca")
    assert asked.result is not None and asked.result.sign_request is not None
    request_id = asked.result.sign_request.request_id
    assert await svc.record_result_signature(completed(request_id, "rejected"))
    failed = dossiers.stored.result
    assert failed is not None and failed.status is ResultStatus.SIGN_FAILED
    assert failed.failure_message and "từ chối" in failed.failure_message
    again = await svc.sign_result(OFFICER, "d" * 32, "fpt-esign")
    assert again.result is not None and again.result.status is ResultStatus.SIGNING


@pytest.mark.parametrize(
    ("stored", "check", "error", "code"),
    [
        (None, VALID, ResultMissing, "result_missing"),
        (result(), VALID, ResultNotSigned, "result_not_signed"),
        (
            result(ResultStatus.SIGNED, signed=ref("s")),
            VALID.model_copy(update={"intact": False}),
            ResultSignatureInvalid,
            "result_signature_invalid",
        ),
    ],
)
async def test_hoan_thanh_is_refused_without_a_valid_signed_result(
    stored: DossierResult | None, check: SignatureCheck, error: type[AppError], code: str
) -> None:
    svc, dossiers = service(dossier(DossierStatus.PROCESSING, stored), FakeValidator(check))
    with pytest.raises(error) as refused:
        await svc.act(OFFICER, "d" * 32, Action.COMPLETE, None, "token")
    assert refused.value.code == code
    assert refused.value.status in (409, 422)
    assert "kết quả giải quyết" in refused.value.detail.lower()
    assert dossiers.stored.status == DossierStatus.PROCESSING and dossiers.events == []


async def test_complete_then_return_announces_the_signed_result_with_the_status() -> None:
    signed = result(
        ResultStatus.SIGNED,
        signed=ref("dossiers/x/result/signed.pdf"),
        signature={"signed_by": "officer-1", "signer_name": "LÊ MINH CƯỜNG", "signed_at": NOW},
    )
    validator = FakeValidator()
    svc, dossiers = service(dossier(DossierStatus.PROCESSING, signed), validator)
    done = await svc.act(OFFICER, "d" * 32, Action.COMPLETE, None, "token")
    assert done.status == DossierStatus.PROCESSED
    assert done.result is not None and done.result.check is not None
    assert done.result.check.valid and done.result.check.signers == ["LÊ MINH CƯỜNG"]
    assert validator.asked == [("dossiers/x/result/signed.pdf", "token", OFFICER.sub)]
    dossiers.events.clear()

    back = await svc.act(OFFICER, "d" * 32, Action.RETURN_RESULT, None, "token")
    assert back.status == DossierStatus.RETURNED
    assert back.result is not None and back.result.returned_at is not None
    types = [e["type"] for e in dossiers.events]
    assert types == [
        "vn.hoso.submission.DossierStatusChanged",
        "vn.hoso.submission.DossierResultReturned",
    ]
    returned = dossiers.events[1]["data"]
    assert returned["owner_id"] == "citizen-1"
    assert returned["result"]["key"] == "dossiers/x/result/signed.pdf"
    assert returned["signed_by"] == "officer-1" and returned["signer_name"] == "LÊ MINH CƯỜNG"
    assert returned["receipt_code"] == "STP-HNI-261130-000001"
    assert returned["signed_at"] == "2026-11-30T09:00:00Z"


async def test_the_citizen_gets_the_result_only_once_returned() -> None:
    signed = result(ResultStatus.SIGNED, signed=ref("signed.pdf"))
    svc, _ = service(dossier(DossierStatus.PROCESSED, signed))
    with pytest.raises(ResultNotFound):
        await svc.result_file(CITIZEN, "d" * 32)
    assert (await svc.result_file(OFFICER, "d" * 32)).key == "signed.pdf"
    with pytest.raises(DossierNotFound):
        await svc.result_file(OTHER_AGENCY, "d" * 32)
    svc, _ = service(dossier(DossierStatus.RETURNED, signed))
    assert (await svc.result_file(CITIZEN, "d" * 32)).key == "signed.pdf"
