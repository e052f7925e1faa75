"""The dossier use cases over in-memory fakes: owners, submission once, the officer's actions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from hoso_common.auth import Principal
from hoso_common.events import DossierStatusChanged, DossierSubmitted, ObjectRef
from hoso_submission.clients import FilledForm
from hoso_submission.domain.dossier import Dossier
from hoso_submission.domain.status import Action, DossierStatus
from hoso_submission.errors import (
    DossierIncomplete,
    DossierNotEditable,
    DossierNotFound,
    IllegalTransition,
    StaleDossier,
)

from .fakes import FakeAttachments, FakeDossiers, SignedForms, dossier_service

LLTP = "2.000488"
AGENCY = "STP-HNI"
TOKEN = "citizen-token"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def citizen() -> Principal:
    return Principal(sub=uuid.uuid4().hex, roles=frozenset({"citizen"}), name="Lê Văn Quyết")


def officer(agency: str = AGENCY) -> Principal:
    return Principal(sub=uuid.uuid4().hex, roles=frozenset({"officer"}), agency=agency)


async def stream(data: bytes) -> AsyncIterator[bytes]:
    yield data


@dataclass
class Harness:
    dossiers: FakeDossiers = field(default_factory=FakeDossiers)
    attachments: FakeAttachments = field(default_factory=FakeAttachments)
    forms: SignedForms = field(default_factory=SignedForms)
    nudged: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.service = dossier_service(self.dossiers, self.attachments, self.forms, self.nudged)

    def signed_form(self) -> str:
        """A signed LLTP declaration in eforms, readable with the citizen's token."""
        form_id = uuid.uuid4().hex
        key = f"forms/{form_id}/signed/r1.pdf"
        self.attachments.objects["hoso-eforms", key] = b"%PDF-1.7 signed"
        pdf = ObjectRef(
            bucket="hoso-eforms",
            key=key,
            version=2,
            sha256="d" * 64,
            size=15,
            content_type="application/pdf",
            filename="to-khai.pdf",
        )
        self.forms.forms[form_id, TOKEN] = FilledForm(
            id=form_id,
            template_code="to-khai-ly-lich-tu-phap",
            status="signed",
            signed_pdf=pdf,
            title="Tờ khai",
        )
        return form_id

    async def complete_draft(self, owner: Principal) -> Dossier:
        dossier = await self.service.create(owner, LLTP)
        await self.service.attach_eform(
            owner, dossier.id, "TK", form_id=self.signed_form(), token=TOKEN
        )
        return await self.service.attach_upload(owner, dossier.id, "CCCD", "cccd.png", stream(PNG))


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_a_submission_records_its_events_with_the_new_status_and_a_repeat_adds_none(
    harness: Harness,
) -> None:
    me = citizen()
    draft = await harness.complete_draft(me)

    dossier, submission = await harness.service.submit(me, draft.id, "key-1", TOKEN)
    again, repeated = await harness.service.submit(me, draft.id, "key-1", TOKEN)

    assert dossier.status is DossierStatus.NEW and dossier.receipt_code is not None
    assert submission.receipt_code == dossier.receipt_code.upper()
    assert dossier.receipt_code.startswith(f"{AGENCY}-")
    assert repeated == submission and again == dossier
    submitted, changed = harness.dossiers.outbox[draft.id]
    assert isinstance(submitted, DossierSubmitted) and isinstance(changed, DossierStatusChanged)
    assert submitted.receipt_code == dossier.receipt_code
    assert {c.code for c in submitted.components} == {"TK", "CCCD"}
    assert (changed.from_status, changed.to_status) == (None, 1)
    assert dossier.components["TK"].signature is not None
    assert harness.nudged == [draft.id]
    with pytest.raises(IllegalTransition):
        await harness.service.submit(me, draft.id, "key-2", TOKEN)
    with pytest.raises(DossierNotEditable):
        await harness.service.detach(me, draft.id, "CCCD")
    assert len(harness.dossiers.outbox[draft.id]) == 2


async def test_an_incomplete_dossier_is_refused_and_stays_a_draft(harness: Harness) -> None:
    me = citizen()
    draft = await harness.service.create(me, LLTP)
    await harness.service.attach_upload(me, draft.id, "CCCD", "cccd.png", stream(PNG))

    with pytest.raises(DossierIncomplete) as refused:
        await harness.service.submit(me, draft.id, "key-1", TOKEN)

    assert [e["component"] for e in (refused.value.extra or {})["errors"]] == ["TK"]
    assert harness.dossiers.dossiers[draft.id].status is DossierStatus.DRAFT
    assert harness.dossiers.outbox[draft.id] == [] and harness.nudged == []


async def test_a_replaced_attachment_loses_its_old_file(harness: Harness) -> None:
    me = citizen()
    draft = await harness.service.create(me, LLTP)
    first = await harness.service.attach_upload(me, draft.id, "CCCD", "a.png", stream(PNG))
    second = await harness.service.attach_upload(me, draft.id, "CCCD", "b.png", stream(PNG))

    old, new = first.components["CCCD"].object, second.components["CCCD"].object
    assert ("hoso-submission", old.key) not in harness.attachments.objects
    assert harness.attachments.objects["hoso-submission", new.key] == PNG
    assert harness.dossiers.dossiers[draft.id].components["CCCD"].object == new


async def test_drafts_are_their_owners_and_a_submitted_dossier_its_agencys(
    harness: Harness,
) -> None:
    me, someone = citizen(), citizen()
    draft = await harness.complete_draft(me)

    for stranger in (someone, officer()):
        with pytest.raises(DossierNotFound):
            await harness.service.get(stranger, draft.id)
    with pytest.raises(DossierNotFound):
        await harness.service.attach_upload(someone, draft.id, "UQ", "uq.png", stream(PNG))
    with pytest.raises(DossierNotFound):
        await harness.service.submit(someone, draft.id, "key-1", TOKEN)

    await harness.service.submit(me, draft.id, "key-1", TOKEN)
    assert (await harness.service.get(officer(), draft.id)).status is DossierStatus.NEW
    with pytest.raises(DossierNotFound):
        await harness.service.get(officer("CA-HNI"), draft.id)
    with pytest.raises(DossierNotFound):
        await harness.service.act(officer("CA-HNI"), draft.id, Action.ACCEPT, None)
    assert harness.dossiers.dossiers[draft.id].status is DossierStatus.NEW


async def test_an_officer_moves_a_dossier_only_along_the_status_machine(
    harness: Harness,
) -> None:
    me, clerk = citizen(), officer()
    draft = await harness.complete_draft(me)
    submitted, _ = await harness.service.submit(me, draft.id, "key-1", TOKEN)

    with pytest.raises(IllegalTransition):
        await harness.service.act(clerk, draft.id, Action.RETURN_RESULT, None)
    accepted = await harness.service.act(
        clerk, draft.id, Action.ACCEPT, None, expected_revision=submitted.revision
    )
    assert accepted.status is DossierStatus.ACCEPTED
    assert accepted.history[-1].actor == clerk.sub
    # A decision taken on the view from before the acceptance is not applied again.
    with pytest.raises(StaleDossier):
        await harness.service.act(
            clerk, draft.id, Action.REFUSE, "Thiếu giấy tờ", expected_revision=submitted.revision
        )
    changes = [e for e in harness.dossiers.outbox[draft.id] if isinstance(e, DossierStatusChanged)]
    assert [(e.from_status, e.to_status) for e in changes] == [(None, 1), (1, 2)]
    assert harness.dossiers.dossiers[draft.id] == accepted
