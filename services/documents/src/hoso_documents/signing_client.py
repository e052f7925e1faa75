"""Client of the signing service's validation API ("kiểm tra kết quả ký số")."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from hoso_common.capability import VALIDATION_AUDIENCE, issue_capability
from hoso_documents.errors import (
    SignaturesNotCheckable,
    SigningUnavailable,
    SigningValidationFailed,
)

logger = logging.getLogger(__name__)

PDF_MEDIA_TYPE = "application/pdf"
# The report of a file that cannot carry an embedded signature and has no detached one.
NO_SIGNATURE_REPORT: dict[str, Any] = {
    "valid": False,
    "verdict": "Tài liệu không có chữ ký số.",
    "signature_count": 0,
    "signatures": [],
}


class SignatureValidationClient:
    def __init__(
        self, base_url: str, timeout_s: float, *, capability_secret: str, capability_ttl_s: int
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/v1/validations"
        self.timeout_s = timeout_s
        self.capability_secret = capability_secret
        self.capability_ttl_s = capability_ttl_s

    async def validate(
        self,
        authorization: str,
        *,
        subject: str,
        bucket: str,
        key: str,
        signature_bucket: str | None = None,
        signature_key: str | None = None,
    ) -> dict[str, Any]:
        """The validation report of an object the caller owns, asked with the caller's token.

        The vault has checked ownership; the capability tells signing so, for this caller only.
        """
        capability = issue_capability(
            self.capability_secret,
            issuer="documents",
            subject=subject,
            audience=VALIDATION_AUDIENCE,
            bucket=bucket,
            key=key,
            signature_bucket=signature_bucket,
            signature_key=signature_key,
            ttl_s=self.capability_ttl_s,
        )
        body: dict[str, Any] = {"capability": capability}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(
                    self.url, json=body, headers={"Authorization": authorization}
                )
        except httpx.HTTPError as error:
            logger.warning("signing validation unreachable", extra={"error": repr(error)})
            raise SigningUnavailable() from error
        if response.status_code >= 500:
            logger.warning("signing validation unavailable", extra={"status": response.status_code})
            raise SigningUnavailable()
        if response.status_code in {400, 413, 415, 422}:
            # The file itself cannot be checked (not a PDF, damaged): say why, as signing did.
            raise SignaturesNotCheckable(_problem_detail(response))
        if response.status_code >= 400:
            logger.warning(
                "signing validation refused",
                extra={"status": response.status_code, "body": response.text[:500]},
            )
            raise SigningValidationFailed(extra={"upstream_status": response.status_code})
        try:
            report = response.json()
        except ValueError as error:
            raise SigningValidationFailed() from error
        if not isinstance(report, dict):
            raise SigningValidationFailed()
        return report


def _problem_detail(response: httpx.Response) -> str | None:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail if isinstance(detail, str) and detail else None
