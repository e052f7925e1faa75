"""Submission checks: required components and valid signatures, with a fake validator."""

from datetime import UTC, datetime

from hoso_common.auth import Principal
from hoso_common.events import ObjectRef
from hoso_submission.domain.dossier import Attachment, Dossier, SignatureCheck
from hoso_submission.domain.procedures import SEED_PROCEDURES, Procedure
from hoso_submission.domain.status import DossierStatus
from hoso_submission.service import check_submission

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LLTP: Procedure = next(p for p in SEED_PROCEDURES if p.code == "2.000488")


class FakeValidator:
    """Answers from a table of reports keyed by object key, and records what it was asked."""

    def __init__(self, reports: dict[str, SignatureCheck]) -> None:
        self.reports = reports
        self.asked: list[tuple[str, str, str]] = []

    async def validate(self, stored: ObjectRef, token: str, subject: str) -> SignatureCheck:
        self.asked.append((stored.key, token, subject))
        return self.reports.get(
            stored.key, SignatureCheck(signed=False, intact=False, trusted=False)
        )


def _attachment(key: str, content_type: str = "application/pdf") -> Attachment:
    return Attachment(
        source="upload",
        object=ObjectRef(
            bucket="hoso-submission",
            key=key,
            version=1,
            sha256="a" * 64,
            size=10,
            content_type=content_type,
            filename=f"{key}.pdf",
        ),
        attached_at=NOW,
    )


def _dossier(components: dict[str, Attachment]) -> Dossier:
    return Dossier(
        id="d1",
        owner_id="citizen-1",
        procedure_code=LLTP.code,
        procedure_name=LLTP.name,
        agency_code=LLTP.agency.code,
        status=DossierStatus.DRAFT,
        components=components,
        created_at=NOW,
        updated_at=NOW,
    )


CITIZEN = Principal(sub="citizen-1", roles=frozenset({"citizen"}))
GOOD = SignatureCheck(signed=True, intact=True, trusted=True, signers=["NGUYỄN VĂN A"])


async def test_empty_dossier_lists_every_required_component() -> None:
    faults, checks = await check_submission(LLTP, _dossier({}), FakeValidator({}), "tok", CITIZEN)
    assert {(f.component, f.reason) for f in faults} == {("TK", "missing"), ("CCCD", "missing")}
    assert all("bắt buộc" in f.message for f in faults)
    assert checks == {}


async def test_complete_dossier_with_valid_signature_passes() -> None:
    validator = FakeValidator({"tk": GOOD})
    dossier = _dossier({"TK": _attachment("tk"), "CCCD": _attachment("cccd", "image/png")})
    faults, checks = await check_submission(LLTP, dossier, validator, "tok", CITIZEN)
    assert faults == []
    assert checks == {"TK": GOOD}
    # Only the component that needs a signature is validated, with the caller's token.
    assert validator.asked == [("tk", "tok", CITIZEN.sub)]


async def test_unsigned_tampered_and_untrusted_files_are_faults() -> None:
    dossier = _dossier({"TK": _attachment("tk"), "CCCD": _attachment("cccd")})
    cases = {
        "unsigned": SignatureCheck(signed=False, intact=False, trusted=False),
        "modified": SignatureCheck(signed=True, intact=False, trusted=True),
        "untrusted": SignatureCheck(signed=True, intact=True, trusted=False),
    }
    for reason, report in cases.items():
        faults, _ = await check_submission(
            LLTP, dossier, FakeValidator({"tk": report}), "tok", CITIZEN
        )
        assert [(f.component, f.reason) for f in faults] == [("TK", reason)]
        assert "Tờ khai" in faults[0].message


async def test_optional_component_missing_is_fine() -> None:
    dossier = _dossier({"TK": _attachment("tk"), "CCCD": _attachment("cccd")})
    faults, _ = await check_submission(LLTP, dossier, FakeValidator({"tk": GOOD}), "tok", CITIZEN)
    assert not any(f.component == "UQ" for f in faults)
