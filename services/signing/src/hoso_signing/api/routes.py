"""HTTP routes: providers, CA callbacks, sign request status and signature validation."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from hoso_common.auth import CurrentUser, Principal, SignerUser
from hoso_common.capability import (
    VALIDATION_AUDIENCE,
    CapabilityRefused,
    ObjectGrant,
    verify_capability,
)
from hoso_common.errors import BadRequest, NotFound, PayloadTooLarge, Unprocessable
from hoso_common.events import ObjectRef
from hoso_common.storage import ObjectNotFound
from hoso_common.validation import HexIdPath, parse_json
from hoso_signing.api.deps import RuntimeDep
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
from hoso_signing.crypto.validation import UnreadableInput
from hoso_signing.domain.states import (
    OTP_AWAITING_MESSAGE,
    STATUS_MESSAGES,
    SignStatus,
    failure_message,
    phase_of,
)
from hoso_signing.domain.verdicts import SignatureFindings, verdict
from hoso_signing.domain.webhooks import verify_webhook
from hoso_signing.errors import (
    BucketNotAllowed,
    CallbackRefused,
    OtpInvalid,
    OtpNotExpected,
    ProviderUnavailable,
    ReferenceRefused,
    UnknownProvider,
    UnreadableFile,
)
from hoso_signing.providers import OtpAuthorizer, OtpRefused, ProviderClient, ProviderError
from hoso_signing.repository import Doc
from hoso_signing.runtime import SigningRuntime

router = APIRouter(prefix="/v1", tags=["signing"])


@router.get("/providers", response_model=list[ProviderPublic])
async def list_providers(runtime: RuntimeDep) -> list[ProviderPublic]:
    """List the remote-signing providers with their Vietnamese names."""
    return [
        ProviderPublic(
            id=provider.provider_id,
            name=provider.display_name,
            approval="webhook" if provider.supports_webhook else "polling",
        )
        for provider in runtime.providers.values()
    ]


@router.post(
    "/callbacks/{provider}",
    status_code=202,
    response_model=CallbackAck,
    responses={200: {"model": CallbackAck}, 401: {"description": "Forged or stale callback"}},
)
async def receive_callback(provider: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Receive a CA's result: verify it, record it, enqueue the finish, answer at once."""
    body = await request.body()
    refused = verify_webhook(
        secret=runtime.settings.webhook_secret.get_secret_value(),
        timestamp=request.headers.get("x-hoso-timestamp"),
        signature=request.headers.get("x-hoso-signature"),
        body=body,
        now=time.time(),
        window_s=runtime.settings.webhook_window_s,
    )
    if refused is not None:
        raise CallbackRefused(extra={"reason": refused})
    client = runtime.providers.get(provider)
    if client is None or not client.supports_webhook:
        raise UnknownProvider()
    try:
        parsed = client.parse_webhook(body)
    except ProviderError as error:
        raise BadRequest("Nội dung thông báo không hợp lệ.") from error
    result = await runtime.workflow.record_answer(
        provider_id=provider,
        transaction_id=parsed.transaction_id,
        request_id=parsed.request_id,
        answer=parsed.answer,
        via="webhook",
    )
    if result == "unknown":
        raise NotFound("Không tìm thấy yêu cầu ký số tương ứng.")
    return JSONResponse(
        CallbackAck(status=result).model_dump(), status_code=202 if result == "recorded" else 200
    )


def _expects_otp(provider: ProviderClient | None) -> bool:
    return isinstance(provider, OtpAuthorizer) and provider.uses_otp


def _sign_request_public(doc: Doc, runtime: SigningRuntime) -> SignRequestPublic:
    status = SignStatus(doc["status"])
    provider = runtime.providers.get(str(doc["provider"]))
    reason = doc.get("failure_reason")
    otp = status is SignStatus.AWAITING_APPROVAL and _expects_otp(provider)
    return SignRequestPublic(
        request_id=str(doc["_id"]),
        status=status.value,
        phase=phase_of(status),
        message=OTP_AWAITING_MESSAGE if otp else STATUS_MESSAGES[status],
        authorization="otp" if _expects_otp(provider) else "app",
        failure_reason=reason,
        failure_message=failure_message(reason),
        provider=str(doc["provider"]),
        provider_name=provider.display_name if provider else None,
        document_name=str(doc["document_name"]),
        source=str(doc["source"]),
        source_id=str(doc["source_id"]),
        transaction_code=doc.get("tran_code"),
        expires_at=doc.get("expires_at"),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        signed_object=ObjectRef(**doc["signed_object"]) if doc.get("signed_object") else None,
        signed_at=doc.get("signed_at"),
        signer_name=doc.get("signer_name"),
        signature_level=doc.get("signature_level"),
    )


@router.get("/sign-requests/{request_id}", response_model=SignRequestPublic)
async def get_sign_request(
    request_id: HexIdPath, user: SignerUser, runtime: RuntimeDep
) -> SignRequestPublic:
    """Show one of the caller's own sign requests (404 for anyone else's)."""
    doc = await runtime.repository.get_for_signer(request_id, user.sub)
    if doc is None:
        raise NotFound("Không tìm thấy yêu cầu ký số.")
    return _sign_request_public(doc, runtime)


@router.post(
    "/sign-requests/{request_id}/otp",
    response_model=SignRequestPublic,
    responses={409: {"description": "Not awaiting an OTP"}, 422: {"description": "Wrong OTP"}},
)
async def authorize_with_otp(
    request_id: HexIdPath, body: OtpCreate, user: SignerUser, runtime: RuntimeDep
) -> SignRequestPublic:
    """Authorize one of the caller's own sign requests with the OTP the CA sent them."""
    doc = await runtime.repository.get_for_signer(request_id, user.sub)
    if doc is None:
        raise NotFound("Không tìm thấy yêu cầu ký số.")
    provider = runtime.providers.get(str(doc["provider"]))
    if (
        not isinstance(provider, OtpAuthorizer)
        or not provider.uses_otp
        or SignStatus(doc["status"]) is not SignStatus.AWAITING_APPROVAL
        or not doc.get("transaction_id")
    ):
        raise OtpNotExpected()
    try:
        answer = await provider.authorize_otp(
            transaction_id=str(doc["transaction_id"]),
            user_id=str(doc["signer_id"]),
            otp=body.otp,
        )
    except OtpRefused as refused:
        raise OtpInvalid(
            f"Mã OTP không đúng. Bạn còn {refused.attempts_left} lần thử.",
            extra={"attempts_left": refused.attempts_left},
        ) from None
    except ProviderError as error:
        raise ProviderUnavailable(extra={"reason": error.code}) from error
    if answer.outcome != "pending":
        await runtime.workflow.record_answer(
            provider_id=str(doc["provider"]),
            transaction_id=str(doc["transaction_id"]),
            request_id=request_id,
            answer=answer,
            via="otp",
        )
    fresh = await runtime.repository.get_for_signer(request_id, user.sub)
    return _sign_request_public(fresh or doc, runtime)


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


def _granted(runtime: Any, capability: str, user: Principal) -> ObjectGrant:
    try:
        return verify_capability(
            runtime.settings.object_capability_secret.get_secret_value(),
            capability,
            audience=VALIDATION_AUDIENCE,
            subject=user.sub,
        )
    except CapabilityRefused as refused:
        raise ReferenceRefused(extra={"reason": refused.reason}) from refused


async def _read_object(runtime: Any, bucket: str, key: str) -> bytes:
    if bucket not in runtime.settings.validation_bucket_list():
        raise BucketNotAllowed()
    try:
        return bytes(
            await runtime.platform.storage.read_bytes(
                bucket, key, limit=runtime.settings.max_input_bytes
            )
        )
    except ObjectNotFound as error:
        raise NotFound("Không tìm thấy tệp cần kiểm tra.") from error
    except ValueError as error:
        raise PayloadTooLarge() from error


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
    request: Request, user: CurrentUser, runtime: RuntimeDep
) -> ValidationPublic:
    """Check the signatures of a file (upload or stored object): signer, trust, integrity, time."""
    limit = runtime.settings.max_input_bytes
    content_type = request.headers.get("content-type", "")
    signature: bytes | None = None
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=limit)
        data = await _read_upload(form.get("file"), limit)
        if form.get("signature") is not None:
            signature = await _read_upload(form.get("signature"), limit)
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
        grant = _granted(runtime, body.capability, user)
        data = await _read_object(runtime, grant.bucket, grant.key)
        if grant.signature_bucket and grant.signature_key:
            signature = await _read_object(runtime, grant.signature_bucket, grant.signature_key)
    else:
        raise BadRequest("Hãy gửi tệp dạng multipart/form-data hoặc tham chiếu JSON.")
    try:
        if signature is not None:
            findings = await runtime.validator.validate_detached(data, signature)
        else:
            findings = await runtime.validator.validate_pdf(data)
    except UnreadableInput as error:
        raise UnreadableFile(error.message, extra={"reason": error.code}) from error
    return _summary([_report(item) for item in findings])
