"""The eforms use cases over in-memory fakes: owners, frozen forms, signing outcomes, templates."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from hoso_common.auth import Principal
from hoso_common.events import ObjectRef, SignCompleted, SignRequested
from hoso_eforms.config import Settings
from hoso_eforms.domain.catalogue import AddressCatalogue
from hoso_eforms.domain.forms import Form, FormStatus
from hoso_eforms.domain.rendering import FontSet, FormRenderer
from hoso_eforms.domain.seed_templates import seed_templates
from hoso_eforms.errors import (
    FormInvalid,
    FormLocked,
    FormNotFound,
    FormNotSigned,
    ProcedureUnknown,
    SignerIdMissing,
    TemplateNotFound,
    TemplateNotYours,
)
from hoso_eforms.service import EformsService

from .fakes import AgenciesOf, FakeFiles, FakeForms, FakeTemplates, OncePrinted, eforms_service

Sample = Callable[[str], dict[str, Any]]
BIRTH = "to-khai-khai-sinh"
BIRTH_PROCEDURE = "1.001193"
SETTINGS = Settings()
FONTS = FontSet(SETTINGS.font_regular, SETTINGS.font_bold, SETTINGS.font_italic)
PRINTER = OncePrinted(FormRenderer(FONTS, AddressCatalogue.load()))
SIGNING_BUCKET = "hoso-signing"


def citizen(citizen_id: str | None = "001190012345") -> Principal:
    return Principal(sub=uuid.uuid4().hex, roles=frozenset({"citizen"}), citizen_id=citizen_id)


def officer(agency: str) -> Principal:
    return Principal(sub=uuid.uuid4().hex, roles=frozenset({"officer"}), agency=agency)


@dataclass
class Harness:
    service: EformsService
    templates: FakeTemplates
    forms: FakeForms
    files: FakeFiles
    nudged: list[str] = field(default_factory=list)

    def sign_completed(self, form_id: str, request_id: str, **fields: Any) -> SignCompleted:
        return SignCompleted(request_id=request_id, source="eforms", source_id=form_id, **fields)

    async def signing(self, owner: Principal, data: dict[str, Any]) -> tuple[Form, Form]:
        """A saved form, and the same form once its owner asked for its signature."""
        form = await self.service.create_form(owner, BIRTH, data)
        return form, await self.service.start_signing(owner, form.id, "vnpt-smartca")

    def signed_copy(self, content: bytes) -> ObjectRef:
        """The signing service's output, as it stands in signing's own bucket."""
        key = f"signed/{uuid.uuid4().hex}.pdf"
        self.files.objects[SIGNING_BUCKET, key] = content
        return ObjectRef(
            bucket=SIGNING_BUCKET,
            key=key,
            version=2,
            sha256="a" * 64,
            size=len(content),
            content_type="application/pdf",
            filename="to-khai-da-ky.pdf",
        )


@pytest.fixture
async def harness() -> Harness:
    templates, forms, files, nudged = FakeTemplates(), FakeForms(), FakeFiles(), []
    service = eforms_service(
        templates,
        forms,
        files,
        renderer=PRINTER,
        procedures=AgenciesOf({BIRTH_PROCEDURE: "UBND-HK"}),
        nudged=nudged,
    )
    await service.seed()
    return Harness(service, templates, forms, files, nudged)


async def test_a_form_is_filled_from_the_latest_template_and_only_its_owner_reaches_it(
    harness: Harness, sample_form: Sample
) -> None:
    me, someone = citizen(), citizen("079088001234")
    form = await harness.service.create_form(me, BIRTH, sample_form(BIRTH))

    assert form.status == FormStatus.SAVED and form.revision == 1
    assert (form.template_code, form.template_version) == (BIRTH, 1)
    assert harness.forms.forms[form.id] == form
    assert await harness.service.get_form(me, form.id) == form
    with pytest.raises(FormNotFound):
        await harness.service.get_form(someone, form.id)
    with pytest.raises(FormNotFound):
        await harness.service.update_form(someone, form.id, sample_form(BIRTH))
    assert await harness.service.list_forms(someone, template_code=None, status=None) == []
    assert harness.forms.forms[form.id].revision == 1


async def test_data_that_fails_the_template_is_refused_field_by_field_and_not_stored(
    harness: Harness, sample_form: Sample
) -> None:
    data = sample_form(BIRTH)
    data["nguoi_yeu_cau"]["so_dinh_danh"] = "12"
    del data["nguoi_duoc_khai_sinh"]["ho_ten"]

    with pytest.raises(FormInvalid) as refused:
        await harness.service.create_form(citizen(), BIRTH, data)

    pointers = {e.pointer for e in refused.value.errors}
    assert "/data/nguoi_yeu_cau/so_dinh_danh" in pointers
    assert "/data/nguoi_duoc_khai_sinh/ho_ten" in pointers
    assert harness.forms.forms == {}
    with pytest.raises(TemplateNotFound):
        await harness.service.create_form(citizen(), "khong-co-mau-nay", data)


async def test_signing_records_sign_requested_with_the_move_to_signing_and_freezes_the_form(
    harness: Harness, sample_form: Sample
) -> None:
    me = citizen()
    form = await harness.service.create_form(me, BIRTH, sample_form(BIRTH))

    signing = await harness.service.start_signing(me, form.id, "vnpt-smartca")

    assert signing.status == FormStatus.SIGNING and signing.sign_request is not None
    [event] = harness.forms.outbox[form.id]
    assert isinstance(event, SignRequested)
    assert event.request_id == signing.sign_request.request_id
    assert (event.source, event.source_id, event.provider) == ("eforms", form.id, "vnpt-smartca")
    assert (event.signer_id, event.signer_sub) == (me.citizen_id, me.sub)
    assert signing.rendered == event.object
    assert harness.files.objects[event.object.bucket, event.object.key].startswith(b"%PDF")
    assert harness.nudged == [form.id]

    with pytest.raises(FormLocked):
        await harness.service.update_form(me, form.id, sample_form(BIRTH))
    with pytest.raises(FormLocked):
        await harness.service.start_signing(me, form.id, "viettel-mysign")
    with pytest.raises(FormNotSigned):
        await harness.service.open_signed_pdf(me, form.id)
    assert len(harness.forms.outbox[form.id]) == 1
    assert harness.forms.forms[form.id] == signing


async def test_nobody_signs_without_a_citizen_id_and_nothing_is_recorded(
    harness: Harness, sample_form: Sample
) -> None:
    me = citizen(citizen_id=None)
    form = await harness.service.create_form(me, BIRTH, sample_form(BIRTH))

    with pytest.raises(SignerIdMissing):
        await harness.service.start_signing(me, form.id, "vnpt-smartca")

    assert harness.forms.forms[form.id].status == FormStatus.SAVED
    assert harness.forms.outbox[form.id] == [] and harness.nudged == []


async def test_a_signed_outcome_is_applied_once_and_its_redelivery_changes_nothing(
    harness: Harness, sample_form: Sample
) -> None:
    me = citizen()
    form, signing = await harness.signing(me, sample_form(BIRTH))
    assert signing.sign_request is not None
    request_id = signing.sign_request.request_id
    content = b"%PDF-1.7\n%signed by the sandbox CA\n"
    when = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    outcome = harness.sign_completed(
        form.id,
        request_id,
        status="signed",
        signed_object=harness.signed_copy(content),
        signature_format="pades",
        signer_name="NGUYỄN THỊ HỒNG NHUNG",
        signed_at=when,
        pades_level="B-LT",
    )

    assert await harness.service.handle_sign_completed(outcome) is True
    signed = harness.forms.forms[form.id]
    assert await harness.service.handle_sign_completed(outcome) is False

    assert harness.forms.forms[form.id] == signed
    assert signed.status == FormStatus.SIGNED and signed.signed_at == when
    assert signed.signature is not None and signed.signature.pades_level == "B-LT"
    assert signed.signed is not None
    assert signed.signed.key == f"forms/{form.id}/signed/{request_id}.pdf"
    assert signed.signed.filename == "Tờ khai đăng ký khai sinh (đã ký số).pdf"
    ref, chunks = await harness.service.open_signed_pdf(me, form.id)
    assert ref == signed.signed and b"".join([c async for c in chunks]) == content
    with pytest.raises(FormNotFound):
        await harness.service.open_signed_pdf(citizen(), form.id)
    with pytest.raises(FormLocked):
        await harness.service.update_form(me, form.id, sample_form(BIRTH))


async def test_outcomes_of_other_requests_and_other_services_change_nothing(
    harness: Harness, sample_form: Sample
) -> None:
    me = citizen()
    form, signing = await harness.signing(me, sample_form(BIRTH))
    assert signing.sign_request is not None

    stale = harness.sign_completed(form.id, uuid.uuid4().hex, status="rejected")
    foreign = stale.model_copy(
        update={"source": "documents", "request_id": signing.sign_request.request_id}
    )
    unknown = harness.sign_completed(uuid.uuid4().hex, uuid.uuid4().hex, status="rejected")

    for event in (stale, foreign, unknown):
        assert await harness.service.handle_sign_completed(event) is False
    assert harness.forms.forms[form.id] == signing


async def test_a_rejected_signing_tells_why_and_the_form_can_be_corrected_and_signed_again(
    harness: Harness, sample_form: Sample
) -> None:
    me = citizen()
    form, signing = await harness.signing(me, sample_form(BIRTH))
    assert signing.sign_request is not None

    rejected = harness.sign_completed(
        form.id, signing.sign_request.request_id, status="rejected", failure_reason="user_denied"
    )
    assert await harness.service.handle_sign_completed(rejected) is True

    failed = harness.forms.forms[form.id]
    assert failed.status == FormStatus.SIGN_FAILED and failed.sign_outcome == "rejected"
    assert failed.failure_reason == (
        "Yêu cầu ký số đã bị từ chối trên ứng dụng ký số. Chi tiết: user_denied"
    )
    assert failed.signed is None
    corrected = await harness.service.update_form(me, form.id, sample_form(BIRTH))
    assert corrected.status == FormStatus.SAVED and corrected.failure_reason is None
    assert corrected.revision == failed.revision + 1


async def test_only_the_procedures_agency_publishes_and_numbering_survives_a_retirement(
    harness: Harness,
) -> None:
    content = seed_templates()[BIRTH]
    with pytest.raises(TemplateNotYours):
        await harness.service.publish(BIRTH, content, officer("STP-HNI"))
    assert await harness.templates.newest(BIRTH) == await harness.service.latest_template(BIRTH)

    agency = officer("UBND-HK")
    second = await harness.service.publish(BIRTH, content, agency)
    assert (second.version, second.published_by) == (2, agency.sub)
    retired = await harness.service.retire(BIRTH, 2, agency)
    assert retired.retired_at is not None
    assert (await harness.service.latest_template(BIRTH)).version == 1
    assert (await harness.service.publish(BIRTH, content, agency)).version == 3

    unknown = content.model_copy(update={"procedure_code": "9.999999"})
    with pytest.raises(ProcedureUnknown):
        await harness.service.publish("mau-moi", unknown, agency)
    with pytest.raises(TemplateNotYours):
        await harness.service.retire(BIRTH, 1, officer("STP-HNI"))
