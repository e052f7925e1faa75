"""A validation report of the signing service, reduced to signed / intact / trusted."""

from hoso_submission.clients import object_ref, signature_check


def _signature(**overrides: object) -> dict[str, object]:
    return {"signer_name": "NGUYỄN VĂN AN", "intact": True, "trusted": True, **overrides}


def test_valid_report() -> None:
    check = signature_check({"valid": True, "verdict": "Hợp lệ", "signatures": [_signature()]})
    assert check.valid
    assert check.signers == ["NGUYỄN VĂN AN"]
    assert check.verdict == "Hợp lệ"


def test_no_signature_is_unsigned() -> None:
    check = signature_check({"valid": False, "signatures": []})
    assert not check.signed and not check.valid


def test_one_broken_signature_spoils_the_file() -> None:
    check = signature_check({"signatures": [_signature(), _signature(intact=False)]})
    assert check.signed and not check.intact and check.trusted
    check = signature_check({"signatures": [_signature(trusted=False)]})
    assert check.intact and not check.trusted


def test_object_ref_ignores_fields_it_does_not_know() -> None:
    ref = object_ref(
        {
            "bucket": "hoso-documents",
            "key": "k",
            "sha256": "a" * 64,
            "size": 3,
            "content_type": "application/pdf",
            "filename": "x.pdf",
            "created_at": "2026-11-26T00:00:00Z",
        },
        version=2,
    )
    assert ref.version == 2
    assert ref.bucket == "hoso-documents"
