"""Client of the signing service's validation API ("kiểm tra kết quả ký số")."""

from __future__ import annotations

import logging
from typing import Any

import httpx

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
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.url = f"{base_url.rstrip('/')}/v1/validations"
        self.timeout_s = timeout_s

    async def validate(
        self,
        authorization: str,
        *,
        bucket: str,
        key: str,
        signature_bucket: str | None = None,
        signature_key: str | None = None,
    ) -> dict[str, Any]:
        """The validation report of an object, asked with the caller's own token."""
        body: dict[str, Any] = {"bucket": bucket, "key": key}
        if signature_bucket and signature_key:
            body |= {"signature_bucket": signature_bucket, "signature_key": signature_key}
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
