"""The vault's use cases over in-memory fakes: uploads, owners, signing and its outcomes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from hoso_common.auth import Principal
from hoso_common.events import (
    DocumentUploaded,
    DossierResultReturned,
    ObjectRef,
    SignCompleted,
    SignRequested,
)
from hoso_documents.domain.models import Document, DocumentStatus, SignOptions, UploadInput
from hoso_documents.errors import (
    DocumentNotFound,
    DocumentUnsignable,
    EmptyFile,
    FileTypeMismatch,
    SigningInProgress,
)

from .fakes import FakeDocuments, FakeObjectStorage, vault

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
BROKEN_PDF = b"%PDF-1.7\nthis is no PDF body at all\n"
SIGNING_BUCKET = "hoso-signing"


def citizen() -> Principal:
    return Principal(sub=uuid.uuid4().hex, roles=frozenset({"citizen"}), citizen_id="001190012345")


async def stream(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@dataclass
class Harness:
    documents: FakeDocuments = field(default_factory=FakeDocuments)
    storage: FakeObjectStorage = field(default_factory=FakeObjectStorage)
    nudged: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.vault = vault(self.documents, self.storage, self.nudged)

    async def upload(
        self,
        owner: Principal,
        content: bytes = PNG,
        filename: str = "giay-khai-sinh.png",
        sign: SignOptions | None = None,
    ) -> Document:
        async def fields() -> UploadInput:
            return UploadInput(name="Giấy khai sinh", sign=sign)

        return await self.vault.upload(
            owner,
            filename=filename,
            declared_type=None,
            chunks=stream(content[:8], content[8:]),
            read_input=fields,
        )

    def signed_copy(self, content: bytes, content_type: str) -> ObjectRef:
        key = f"signed/{uuid.uuid4().hex}"
        self.storage.objects[SIGNING_BUCKET, key] = content
        return ObjectRef(
            bucket=SIGNING_BUCKET,
            key=key,
            version=2,
            sha256="b" * 64,
            size=len(content),
            content_type=content_type,
            filename="giay-khai-sinh.png.p7s",
        )


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_an_upload_with_signing_records_both_events_with_the_signing_state(
    harness: Harness,
) -> None:
    me = citizen()
    document = await harness.upload(me, sign=SignOptions(provider="vnpt-smartca"))

    assert document.status is DocumentStatus.SIGNING and document.pending is not None
    uploaded, requested = harness.documents.outbox[document.id]
    assert isinstance(uploaded, DocumentUploaded) and uploaded.sign_requested
    assert isinstance(requested, SignRequested)
    assert requested.request_id == document.pending.request_id
    assert requested.object == document.current.object_ref() == uploaded.object
    assert harness.storage.objects[document.current.bucket, document.current.key] == PNG
    assert harness.nudged == [document.id]


async def test_a_refused_upload_leaves_neither_a_document_nor_an_object(harness: Harness) -> None:
    me = citizen()
    with pytest.raises(FileTypeMismatch):
        await harness.upload(me, PNG, filename="giay-khai-sinh.pdf")
    with pytest.raises(EmptyFile):
        await harness.upload(me, b"")

    assert harness.documents.documents == {} and harness.storage.objects == {}
    assert harness.nudged == []


async def test_only_the_owner_reads_or_deletes_a_document(harness: Harness) -> None:
    me, someone = citizen(), citizen()
    document = await harness.upload(me)

    with pytest.raises(DocumentNotFound):
        await harness.vault.get(someone, document.id)
    with pytest.raises(DocumentNotFound):
        await harness.vault.open_version(someone, document.id, None, signature=False)
    with pytest.raises(DocumentNotFound):
        await harness.vault.delete(someone, document.id)
    assert harness.documents.documents[document.id].status is DocumentStatus.DRAFT

    ref, chunks = await harness.vault.open_version(me, document.id, None, signature=False)
    assert ref.key == document.current.key and b"".join([c async for c in chunks]) == PNG


async def test_signing_is_refused_while_one_is_in_flight_and_for_an_unsignable_pdf(
    harness: Harness,
) -> None:
    me = citizen()
    signing = await harness.upload(me, sign=SignOptions(provider="vnpt-smartca"))
    with pytest.raises(SigningInProgress):
        await harness.vault.request_signing(me, signing.id, SignOptions(provider="fpt-esign"))
    with pytest.raises(SigningInProgress):
        await harness.vault.delete(me, signing.id)
    assert len(harness.documents.outbox[signing.id]) == 2
    assert harness.documents.documents[signing.id] == signing

    broken = await harness.upload(me, BROKEN_PDF, filename="to-khai.pdf")
    with pytest.raises(DocumentUnsignable):
        await harness.vault.request_signing(me, broken.id, SignOptions(provider="vnpt-smartca"))
    assert harness.documents.documents[broken.id].status is DocumentStatus.DRAFT
    assert [type(e) for e in harness.documents.outbox[broken.id]] == [DocumentUploaded]


async def test_a_detached_signature_adds_one_version_and_its_redelivery_adds_none(
    harness: Harness,
) -> None:
    me = citizen()
    document = await harness.upload(me)
    signing = await harness.vault.request_signing(
        me, document.id, SignOptions(provider="vnpt-smartca")
    )
    assert signing.pending is not None
    p7s = b"0\x82 detached CMS"
    result = SignCompleted(
        request_id=signing.pending.request_id,
        source="documents",
        source_id=document.id,
        status="signed",
        signed_object=harness.signed_copy(p7s, "application/pkcs7-signature"),
        signature_format="cades",
    )
    stale = result.model_copy(update={"request_id": uuid.uuid4().hex})

    assert await harness.vault.record_sign_result(stale) is False
    assert await harness.vault.record_sign_result(result) is True
    assert await harness.vault.record_sign_result(result) is False

    signed = harness.documents.documents[document.id]
    assert signed.status is DocumentStatus.SIGNED and signed.pending is None
    assert [v.version for v in signed.versions] == [1, 2]
    second = signed.versions[1]
    assert second.key == document.current.key  # the signed content is the very file
    assert second.signature is not None and second.signature.detached is not None
    detached = second.signature.detached
    assert harness.storage.objects[detached.bucket, detached.key] == p7s
    ref, chunks = await harness.vault.open_version(me, document.id, 2, signature=True)
    assert ref == detached and b"".join([c async for c in chunks]) == p7s


async def test_a_rejection_tells_why_and_a_deleted_document_loses_its_files(
    harness: Harness,
) -> None:
    me = citizen()
    signing = await harness.upload(me, sign=SignOptions(provider="vnpt-smartca"))
    assert signing.pending is not None
    rejected = SignCompleted(
        request_id=signing.pending.request_id,
        source="documents",
        source_id=signing.id,
        status="rejected",
    )
    assert await harness.vault.record_sign_result(rejected) is True
    failed = harness.documents.documents[signing.id]
    assert failed.status is DocumentStatus.SIGN_FAILED and failed.failure is not None
    assert failed.failure.message == "Công dân đã từ chối ký trên ứng dụng của đơn vị ký số."

    await harness.vault.delete(me, signing.id)
    assert harness.storage.objects == {}
    with pytest.raises(DocumentNotFound):
        await harness.vault.get(me, signing.id)
    # Its events have not left yet: the metadata stays, hidden, until the relay sends them.
    assert harness.documents.documents[signing.id].status is DocumentStatus.DELETING


async def test_a_returned_result_is_kept_once_however_often_it_is_announced(
    harness: Harness,
) -> None:
    me = citizen()
    harness.storage.objects["hoso-submission", "results/d1.pdf"] = b"%PDF-1.7 result"
    returned = DossierResultReturned(
        dossier_id="d1",
        receipt_code="STP-HNI-261130-000001",
        procedure_code="2.000488",
        procedure_name="Cấp Phiếu lý lịch tư pháp",
        agency_code="STP-HNI",
        owner_id=me.sub,
        result=ObjectRef(
            bucket="hoso-submission",
            key="results/d1.pdf",
            version=1,
            sha256="c" * 64,
            size=15,
            content_type="application/pdf",
            filename="ket-qua.pdf",
        ),
        signed_by="officer-1",
        returned_at=datetime(2026, 11, 30, tzinfo=UTC),
    )

    kept = await harness.vault.receive_result(returned)
    assert kept is not None and kept.saved and kept.owner_id == me.sub
    assert await harness.vault.receive_result(returned) is None
    assert list(harness.documents.documents) == [kept.id]
    assert (await harness.vault.get(me, kept.id)).status is DocumentStatus.SIGNED
