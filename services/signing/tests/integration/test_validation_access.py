"""Validation by reference: only through a capability the owning service issued to the caller."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hoso_common.capability import VALIDATION_AUDIENCE, issue_capability
from hoso_testing.signing.harness import CAPABILITY_SECRET, TEST_BUCKET, SignRequestFeeder
from hoso_testing.signing.pdfs import build_pdf

pytestmark = pytest.mark.integration


def _capability(subject: str, key: str, **overrides: Any) -> str:
    options: dict[str, Any] = {
        "issuer": "documents",
        "subject": subject,
        "audience": VALIDATION_AUDIENCE,
        "bucket": TEST_BUCKET,
        "key": key,
    } | overrides
    secret = options.pop("secret", CAPABILITY_SECRET)
    return issue_capability(secret, **options)


async def test_another_citizens_object_is_not_validated_by_raw_reference(
    api: httpx.AsyncClient, feeder: SignRequestFeeder, idp: Any
) -> None:
    owner_object = await feeder.upload(build_pdf(1), filename="cua-chu-so-huu.pdf")
    stranger = await idp.citizen()
    officer = await idp.officer("STP-HNI")
    for caller in (stranger, officer):
        response = await api.post(
            "/v1/validations",
            headers=caller.headers,
            json={"bucket": owner_object.bucket, "key": owner_object.key},
        )
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "reference_not_allowed"


async def test_a_capability_is_honoured_only_for_its_own_caller_while_fresh(
    api: httpx.AsyncClient, feeder: SignRequestFeeder, idp: Any
) -> None:
    stored = await feeder.upload(build_pdf(1), filename="cua-toi.pdf")
    owner = await idp.citizen()
    stranger = await idp.citizen()

    granted = await api.post(
        "/v1/validations",
        headers=owner.headers,
        json={"capability": _capability(owner.sub, stored.key)},
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["signature_count"] == 0

    refusals = {
        "subject": (stranger, _capability(owner.sub, stored.key)),
        "signature": (stranger, _capability(stranger.sub, stored.key, secret="guessed")),
        "expired": (owner, _capability(owner.sub, stored.key, ttl_s=-60)),
        "audience": (owner, _capability(owner.sub, stored.key, audience="eforms")),
        "malformed": (owner, "not-a-capability"),
    }
    for reason, (caller, capability) in refusals.items():
        response = await api.post(
            "/v1/validations", headers=caller.headers, json={"capability": capability}
        )
        assert response.status_code == 403, (reason, response.text)
        assert response.json()["reason"] == reason
