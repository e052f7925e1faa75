"""Callback authenticity and the Vietnamese verdicts."""

from __future__ import annotations

from datetime import UTC, datetime

from hoso_signing.domain.verdicts import (
    SignatureFindings,
    SignerInfo,
    TimestampInfo,
    pades_level_of,
    verdict,
)
from hoso_signing.domain.webhooks import verify_webhook, webhook_signature

SECRET = "s3cret"
BODY = b'{"transaction_id":"t1","status":"signed"}'


def test_valid_fresh_callback_passes() -> None:
    sig = webhook_signature(SECRET, "1000", BODY)
    assert (
        verify_webhook(
            secret=SECRET, timestamp="1000", signature=sig, body=BODY, now=1100, window_s=300
        )
        is None
    )


def test_forged_stale_or_missing_callbacks_are_refused() -> None:
    sig = webhook_signature(SECRET, "1000", BODY)
    common = {"secret": SECRET, "body": BODY, "window_s": 300}
    assert verify_webhook(timestamp="1000", signature="ab" * 32, now=1000, **common) == (
        "bad_signature"
    )
    assert verify_webhook(timestamp="1000", signature=sig, now=1301, **common) == (
        "stale_timestamp"
    )
    assert verify_webhook(timestamp=None, signature=sig, now=1000, **common) == (
        "missing_signature"
    )
    assert verify_webhook(timestamp="abc", signature=sig, now=1000, **common) == "bad_timestamp"
    other_body = verify_webhook(
        secret=SECRET, timestamp="1000", signature=sig, body=BODY + b" ", now=1000, window_s=300
    )
    assert other_body == "bad_signature"


def findings(**overrides: object) -> SignatureFindings:
    base: dict[str, object] = {
        "format": "pades",
        "signer": SignerInfo(
            subject="CN=Nguyễn Văn A",
            common_name="Nguyễn Văn A",
            serial_number="1f",
            issuer="CN=Issuing",
            subject_serial="CCCD:001099000001",
        ),
        "intact": True,
        "cryptographically_valid": True,
        "trusted": True,
        "revocation": "good",
        "coverage": "entire_file",
        "changed_after_signing": False,
        "modifications_allowed": True,
        "signing_time": datetime(2026, 11, 26, 3, 30, tzinfo=UTC),
        "timestamp": TimestampInfo(
            time=datetime(2026, 11, 26, 3, 32, tzinfo=UTC), tsa="TSA", valid=True
        ),
        "pades_level": "B-LT",
    }
    base.update(overrides)
    return SignatureFindings(**base)  # type: ignore[arg-type]


def test_valid_verdict_uses_timestamp_in_vietnam_time() -> None:
    assert verdict(findings()) == (
        "Chữ ký hợp lệ: ký bởi NGUYỄN VĂN A lúc 10:32 26/11/2026, "
        "tài liệu không bị thay đổi sau khi ký."
    )


def test_invalid_verdicts() -> None:
    assert verdict(findings(intact=False)) == (
        "Chữ ký không hợp lệ: tài liệu đã bị sửa đổi sau khi ký."
    )
    assert verdict(findings(modifications_allowed=False)).startswith("Chữ ký không hợp lệ")
    assert "thu hồi" in verdict(findings(revocation="revoked"))
    assert "tin cậy" in verdict(findings(trusted=False))
    assert not findings(trusted=False).valid


def test_pades_levels() -> None:
    assert (
        pades_level_of(has_timestamp=False, has_revocation_data=True, has_doc_timestamp=True)
        == "B-B"
    )
    assert (
        pades_level_of(has_timestamp=True, has_revocation_data=False, has_doc_timestamp=False)
        == "B-T"
    )
    assert (
        pades_level_of(has_timestamp=True, has_revocation_data=True, has_doc_timestamp=False)
        == "B-LT"
    )
    assert (
        pades_level_of(has_timestamp=True, has_revocation_data=True, has_doc_timestamp=True)
        == "B-LTA"
    )
