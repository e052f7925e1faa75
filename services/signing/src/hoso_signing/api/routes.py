"""HTTP routes: providers, CA callbacks, sign request status and signature validation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from hoso_common.auth import CurrentUser, SignerUser
from hoso_common.errors import BadRequest, PayloadTooLarge, Unprocessable
from hoso_common.validation import HexIdPath, parse_json
from hoso_signing.api.deps import SettingsDep, SigningDep
from hoso_signing.api.schemas import (
    CallbackAck,
    OtpCreate,
    ProviderPublic,
    SignatureReportPublic,
    SignerPublic,
    SignRequestPublic,
    TimestampPublic,
    ValidationCreate,
    ValidationPublic,
)
from hoso_signing.domain.states import (
    OTP_AWAITING_MESSAGE,
    STATUS_MESSAGES,
    SignStatus,
    failure_message,
    phase_of,
)
from hoso_signing.domain.verdicts import SignatureFindings, verdict
from hoso_signing.errors import ReferenceRefused
from hoso_signing.service import SignRequestView

router = APIRouter(prefix="/v1", tags=["signing"])


@router.get("/providers", response_model=list[ProviderPublic])
async def list_providers(service: SigningDep) -> list[ProviderPublic]:
    """List the remote-signing providers with their Vietnamese names."""
    return [
        ProviderPublic(
            id=provider.provider_id,
            name=provider.display_name,
            approval="webhook" if provider.supports_webhook else "polling",
        )
        for provider in service.providers()
    ]


@router.post(
    "/callbacks/{provider}",
    status_code=202,
    response_model=CallbackAck,
    responses={200: {"model": CallbackAck}, 401: {"description": "Forged or stale callback"}},
)
async def receive_callback(provider: str, request: Request, service: SigningDep) -> JSONResponse:
    """Receive a CA's result: verify it, record it, enqueue the finish, answer at once."""
    result = await service.answers.receive_callback(
        provider,
        await request.body(),
        timestamp=request.headers.get("x-hoso-timestamp"),
        signature=request.headers.get("x-hoso-signature"),
    )
    return JSONResponse(
        CallbackAck(status=result).model_dump(), status_code=202 if result == "recorded" else 200
    )


# Shown to the signer as stored; the rest of SignRequestPublic is worded here.
_SHOWN_AS_STORED = {
    "provider",
    "document_name",
    "source",
    "source_id",
    "failure_reason",
    "expires_at",
    "created_at",
    "updated_at",
    "signed_object",
    "signed_at",
    "signer_name",
    "signature_level",
}


def _sign_request_public(view: SignRequestView) -> SignRequestPublic:
    request = view.request
    status = request.status
    otp = status is SignStatus.AWAITING_APPROVAL and view.expects_otp
    return SignRequestPublic(
        **request.model_dump(include=_SHOWN_AS_STORED),
        request_id=request.id,
        status=status.value,
        phase=phase_of(status),
        message=OTP_AWAITING_MESSAGE if otp else STATUS_MESSAGES[status],
        authorization="otp" if view.expects_otp else "app",
        failure_message=failure_message(request.failure_reason),
        provider_name=view.provider_name,
        transaction_code=request.tran_code,
    )


@router.get("/sign-requests/{request_id}", response_model=SignRequestPublic)
async def get_sign_request(
    request_id: HexIdPath, user: SignerUser, service: SigningDep
) -> SignRequestPublic:
    """Show one of the caller's own sign requests (404 for anyone else's)."""
    return _sign_request_public(await service.signers_request(request_id, user.sub))


@router.post(
    "/sign-requests/{request_id}/otp",
    response_model=SignRequestPublic,
    responses={409: {"description": "Not awaiting an OTP"}, 422: {"description": "Wrong OTP"}},
)
async def authorize_with_otp(
    request_id: HexIdPath, body: OtpCreate, user: SignerUser, service: SigningDep
) -> SignRequestPublic:
    """Authorize one of the caller's own sign requests with the OTP the CA sent them."""
    return _sign_request_public(await service.authorize_otp(request_id, user.sub, body.otp))


def _report(findings: SignatureFindings) -> SignatureReportPublic:
    signer = findings.signer
    return SignatureReportPublic(
        format=findings.format,
        field_name=findings.field_name,
        valid=findings.valid,
        verdict=verdict(findings),
        signer=SignerPublic(**signer.__dict__) if signer else None,
        signer_name=signer.common_name if signer else None,
        trusted=findings.trusted,
        chain=findings.chain,
        intact=findings.intact,
        cryptographically_valid=findings.cryptographically_valid,
        coverage=findings.coverage,
        changed_after_signing=findings.changed_after_signing,
        modifications_allowed=findings.modifications_allowed,
        revocation=findings.revocation,
        signing_time=findings.signing_time,
        timestamp=TimestampPublic(**findings.timestamp.__dict__) if findings.timestamp else None,
        pades_level=findings.pades_level,
        problems=findings.problems,
    )


def _summary(reports: list[SignatureReportPublic]) -> ValidationPublic:
    if not reports:
        return ValidationPublic(
            valid=False,
            verdict="Tài liệu không có chữ ký số.",
            signature_count=0,
            signatures=[],
        )
    invalid = [r for r in reports if not r.valid]
    if invalid:
        text = invalid[0].verdict
    elif len(reports) == 1:
        text = reports[0].verdict
    else:
        text = f"Tất cả {len(reports)} chữ ký hợp lệ. " + reports[-1].verdict
    return ValidationPublic(
        valid=not invalid, verdict=text, signature_count=len(reports), signatures=reports
    )


async def _read_upload(upload: Any, limit: int) -> bytes:
    if not isinstance(upload, UploadFile):
        raise Unprocessable(
            extra={"errors": [{"pointer": "/file", "code": "missing", "message": "Cần chọn tệp."}]}
        )
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge()
    return data


@router.post(
    "/validations",
    response_model=ValidationPublic,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "signature": {"type": "string", "format": "binary"},
                        },
                        "required": ["file"],
                    }
                },
                "application/json": {"schema": ValidationCreate.model_json_schema()},
            },
            "required": True,
        }
    },
)
async def validate_signatures(
    request: Request, user: CurrentUser, service: SigningDep, settings: SettingsDep
) -> ValidationPublic:
    """Check the signatures of a file (upload or stored object): signer, trust, integrity, time."""
    limit = settings.max_input_bytes
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=limit)
        data = await _read_upload(form.get("file"), limit)
        signature = None
        if form.get("signature") is not None:
            signature = await _read_upload(form.get("signature"), limit)
        findings = await service.validation.validate(data, signature)
    elif content_type.startswith("application/json"):
        raw = parse_json(await request.body())
        if isinstance(raw, dict) and "capability" not in raw and "bucket" in raw:
            # A bare bucket and key would let anyone read anyone's files.
            raise ReferenceRefused(extra={"reason": "raw_reference"})
        try:
            body = ValidationCreate.model_validate(raw)
        except ValidationError as error:
            # Field by field, as for any JSON body: a bad field is a 422 that says where.
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
            ) from error
        findings = await service.validation.validate_granted(body.capability, user.sub)
    else:
        raise BadRequest("Hãy gửi tệp dạng multipart/form-data hoặc tham chiếu JSON.")
    return _summary([_report(item) for item in findings])
