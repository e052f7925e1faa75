"""Object capabilities: issued for one caller, object and audience, refused otherwise."""

import pytest

from hoso_common.capability import (
    VALIDATION_AUDIENCE,
    CapabilityRefused,
    issue_capability,
    verify_capability,
)

SECRET = "unit-capability-secret"


def _issue(**overrides: object) -> str:
    options: dict[str, object] = {
        "issuer": "documents",
        "subject": "citizen-1",
        "audience": VALIDATION_AUDIENCE,
        "bucket": "hoso-documents",
        "key": "citizen-1/d1/v1/to-khai.pdf",
        "now": 1000.0,
    } | overrides
    return issue_capability(SECRET, **options)  # type: ignore[arg-type]


def test_a_genuine_capability_names_its_object() -> None:
    grant = verify_capability(
        SECRET,
        _issue(signature_bucket="hoso-documents", signature_key="k.p7s"),
        audience=VALIDATION_AUDIENCE,
        subject="citizen-1",
        now=1010.0,
    )
    assert (grant.bucket, grant.key) == ("hoso-documents", "citizen-1/d1/v1/to-khai.pdf")
    assert (grant.signature_bucket, grant.signature_key) == ("hoso-documents", "k.p7s")
    assert grant.issuer == "documents"


@pytest.mark.parametrize(
    ("token", "subject", "now", "reason"),
    [
        (_issue(), "citizen-2", 1010.0, "subject"),
        (_issue(), "citizen-1", 1200.0, "expired"),
        (_issue(audience="eforms"), "citizen-1", 1010.0, "audience"),
        (_issue()[:-2] + "xx", "citizen-1", 1010.0, "signature"),
        ("oc1.e30", "citizen-1", 1010.0, "malformed"),
    ],
    ids=["other-caller", "expired", "other-audience", "forged", "malformed"],
)
def test_a_capability_is_refused_with_its_reason(
    token: str, subject: str, now: float, reason: str
) -> None:
    with pytest.raises(CapabilityRefused) as refused:
        verify_capability(SECRET, token, audience=VALIDATION_AUDIENCE, subject=subject, now=now)
    assert refused.value.reason == reason


def test_a_changed_key_breaks_the_seal() -> None:
    version, _payload, mac = _issue().split(".")
    forged = issue_capability(
        SECRET,
        issuer="documents",
        subject="citizen-1",
        audience=VALIDATION_AUDIENCE,
        bucket="hoso-documents",
        key="citizen-2/secret.pdf",
        now=1000.0,
    ).split(".")[1]
    with pytest.raises(CapabilityRefused):
        verify_capability(
            SECRET,
            f"{version}.{forged}.{mac}",
            audience=VALIDATION_AUDIENCE,
            subject="citizen-1",
            now=1010.0,
        )
