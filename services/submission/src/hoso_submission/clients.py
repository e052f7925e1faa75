"""HTTP clients of the other hoso services; each call forwards the caller's bearer token."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from hoso_common.capability import VALIDATION_AUDIENCE, issue_capability
from hoso_common.clock import utc_now
from hoso_common.errors import AppError, Forbidden, ServiceUnavailable, Unauthorized
from hoso_common.events import ObjectRef
from hoso_common.validation import url_segment
from hoso_submission.domain.dossier import SignatureCheck

logger = logging.getLogger(__name__)

_OBJECT_FIELDS = ("bucket", "key", "version", "sha256", "size", "content_type", "filename")


def object_ref(data: dict[str, Any], *, version: int | None = None) -> ObjectRef:
    """An ObjectRef from another service's JSON, ignoring fields it may add later."""
    fields = {k: data[k] for k in _OBJECT_FIELDS if k in data}
    if version is not None:
        fields.setdefault("version", version)
    fields.setdefault("version", 1)
    return ObjectRef.model_validate(fields)


@dataclass(frozen=True)
class VaultVersion:
    version: int
    object: ObjectRef


@dataclass(frozen=True)
class VaultDocument:
    id: str
    name: str
    versions: list[VaultVersion]

    def version(self, number: int) -> VaultVersion | None:
        return next((v for v in self.versions if v.version == number), None)


@dataclass(frozen=True)
class FilledForm:
    id: str
    template_code: str | None
    status: str
    signed_pdf: ObjectRef | None
    title: str | None


class UpstreamClient:
    """Shared error handling: 404 is "not yours or absent", auth errors pass through."""

    service = "upstream"

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    async def _request(
        self,
        method: str,
        path: str,
        token: str,
        *,
        answers: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        url = f"{self.base_url}{path}"
        try:
            response = await self.http.request(
                method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        except httpx.HTTPError as error:
            logger.error("upstream unreachable", extra={"url": url, "error": repr(error)})
            raise ServiceUnavailable(self._unavailable()) from error
        if response.status_code == 404:
            return None
        if response.status_code in answers:
            body = response.json()
            return body if isinstance(body, dict) else {}
        if response.status_code == 401:
            raise Unauthorized()
        if response.status_code == 403:
            raise Forbidden()
        if response.status_code >= 400:
            logger.error(
                "upstream error",
                extra={"url": url, "status": response.status_code, "body": response.text[:500]},
            )
            raise ServiceUnavailable(self._unavailable())
        body = response.json()
        if not isinstance(body, dict):
            raise ServiceUnavailable(self._unavailable())
        return body

    def _unavailable(self) -> str:
        return f"Dịch vụ {self.service} tạm thời không khả dụng. Vui lòng thử lại sau."


class DocumentsClient(UpstreamClient):
    service = "kho hồ sơ điện tử"

    async def document(self, document_id: str, token: str) -> VaultDocument | None:
        body = await self._request("GET", f"/v1/documents/{url_segment(document_id)}", token)
        if body is None:
            return None
        versions = [
            VaultVersion(
                version=int(v["version"]),
                object=object_ref(v["object"], version=int(v["version"])),
            )
            for v in body.get("versions", [])
            if isinstance(v, dict) and isinstance(v.get("object"), dict)
        ]
        return VaultDocument(id=str(body["id"]), name=str(body.get("name", "")), versions=versions)


class EformsClient(UpstreamClient):
    service = "biểu mẫu điện tử"

    async def form(self, form_id: str, token: str) -> FilledForm | None:
        body = await self._request("GET", f"/v1/forms/{url_segment(form_id)}", token)
        if body is None:
            return None
        signed = body.get("signed_pdf")
        return FilledForm(
            id=str(body["id"]),
            template_code=body.get("template_code"),
            status=str(body.get("status", "")),
            signed_pdf=object_ref(signed) if isinstance(signed, dict) else None,
            title=body.get("title") or body.get("name"),
        )


class SigningClient(UpstreamClient):
    service = "ký số"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        capability_secret: str,
        capability_ttl_s: int,
    ) -> None:
        super().__init__(http, base_url)
        self.capability_secret = capability_secret
        self.capability_ttl_s = capability_ttl_s

    async def validate(self, stored: ObjectRef, token: str, subject: str) -> SignatureCheck:
        """Validate an object of a dossier the caller may see (checked by the caller)."""
        body = await self.report(stored, token, subject)
        if "signatures" not in body:
            return SignatureCheck(
                signed=False,
                intact=False,
                trusted=False,
                verdict=body.get("detail"),
                checked_at=utc_now(),
            )
        return signature_check(body)

    async def report(self, stored: ObjectRef, token: str, subject: str) -> dict[str, Any]:
        """The validation report as signing gives it; a problem body when it is no signed file."""
        capability = issue_capability(
            self.capability_secret,
            issuer="submission",
            subject=subject,
            audience=VALIDATION_AUDIENCE,
            bucket=stored.bucket,
            key=stored.key,
            ttl_s=self.capability_ttl_s,
        )
        body = await self._request(
            "POST",
            "/v1/validations",
            token,
            # 422: the validator could not read the file as a signed document at all.
            answers=frozenset({422}),
            json={"capability": capability},
        )
        if body is None:
            raise AppError("Không tìm thấy tệp để kiểm tra chữ ký số.")
        return body


def signature_check(report: dict[str, Any]) -> SignatureCheck:
    """Reduce a validation report to what submission needs: signed, intact, trusted."""
    signatures = [s for s in report.get("signatures") or [] if isinstance(s, dict)]
    signers = [
        str(name)
        for s in signatures
        if (name := s.get("signer_name") or s.get("signer") or s.get("signer_subject"))
    ]
    return SignatureCheck(
        signed=bool(signatures),
        intact=bool(signatures) and all(s.get("intact") is True for s in signatures),
        trusted=bool(signatures) and all(s.get("trusted") is True for s in signatures),
        signers=signers,
        verdict=report.get("verdict"),
        checked_at=utc_now(),
    )
