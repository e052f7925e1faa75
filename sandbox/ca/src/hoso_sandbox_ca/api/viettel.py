"""Viettel MySign API shape (RAS): login, certificates, async signHash, request status."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header

from hoso_sandbox_ca.api.deps import CaDep
from hoso_sandbox_ca.api.problems import (
    AccessTokenInvalid,
    ClientCredentialInvalid,
    CredentialNotFound,
    ViettelForbidden,
    ViettelRequestInvalid,
    ViettelTransactionNotFound,
)
from hoso_sandbox_ca.api.schemas import (
    SHA256_OID,
    ViettelCertificateQuery,
    ViettelLogin,
    ViettelSignHashCreate,
    ViettelStatusQuery,
    ViettelTokenPublic,
)
from hoso_sandbox_ca.approvals import UnknownTransaction
from hoso_sandbox_ca.ca import SandboxCa
from hoso_sandbox_ca.citizens import Citizen
from hoso_sandbox_ca.domain.transactions import (
    VIETTEL_CODES,
    DigestToSign,
    Provider,
    TransactionStatus,
    ViettelCode,
)
from hoso_sandbox_ca.tokens import TokenGrant

router = APIRouter(prefix="/viettel/ras/v1", tags=["viettel-mysign"])


def bearer_grant(ca: CaDep, authorization: Annotated[str | None, Header()] = None) -> TokenGrant:
    scheme, _, token = (authorization or "").partition(" ")
    grant = ca.tokens.verify(token.strip()) if scheme.lower() == "bearer" else None
    if grant is None:
        raise AccessTokenInvalid()
    return grant


Grant = Annotated[TokenGrant, Depends(bearer_grant)]


def decode_digest(value: str) -> bytes | None:
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest if len(digest) == 32 else None


def _doc_ids(request_id: str, count: int) -> list[str]:
    # MySign's signHash has no per-file id: the caller's request id stands in for it.
    return [request_id] if count == 1 else [f"{request_id}-{i}" for i in range(1, count + 1)]


@router.post("/login")
async def login(body: ViettelLogin, ca: CaDep) -> ViettelTokenPublic:
    """A bearer token for one citizen, valid for an hour."""
    id_ok = hmac.compare_digest(body.client_id.encode(), ca.settings.viettel_client_id.encode())
    secret = ca.settings.viettel_client_secret.get_secret_value().encode()
    secret_ok = hmac.compare_digest(body.client_secret.encode(), secret)
    if not (id_ok and secret_ok):
        raise ClientCredentialInvalid()
    return ViettelTokenPublic(
        access_token=ca.tokens.issue(body.client_id, body.user_id), expires_in=ca.tokens.ttl_s
    )


@router.post("/certificates/info")
async def certificates_info(
    body: ViettelCertificateQuery, grant: Grant, ca: CaDep
) -> dict[str, Any]:
    """The citizen's credential and certificate chain (enrolls an unknown citizen)."""
    if body.user_id != grant.user_id:
        raise ViettelForbidden()
    citizen, _ = await ca.citizens.enroll(body.user_id)
    certificate = citizen.certificate
    chain = [citizen.certificate_der, ca.authority.issuing.der, ca.authority.root.der]
    return {
        "status": ViettelCode.OK,
        "data": [
            {
                "credential_id": citizen.serial_hex,
                "cert": {
                    "subject_dn": citizen.subject_dn,
                    "serial_number": citizen.serial_hex,
                    "valid_from": certificate.not_valid_before_utc.isoformat(),
                    "valid_to": certificate.not_valid_after_utc.isoformat(),
                    "certificates": [base64.b64encode(der).decode() for der in chain],
                },
            }
        ],
    }


@router.post("/signHash")
async def sign_hash(body: ViettelSignHashCreate, grant: Grant, ca: CaDep) -> dict[str, Any]:
    """Queue base64 SHA-256 digests for approval (async=1; idempotent per request_id)."""
    if body.client_id != grant.client_id:
        raise ViettelForbidden()
    existing = ca.ledger.by_caller(Provider.VIETTEL, body.request_id)
    if existing is None:
        if body.hash_algorithm != SHA256_OID or body.async_mode != 1:
            raise ViettelRequestInvalid("Chỉ hỗ trợ hashAlgorithm SHA-256 với async = 1.")
        digests = [decode_digest(value) for value in body.hashes]
        if any(digest is None for digest in digests):
            raise ViettelRequestInvalid(
                "Mỗi phần tử của hashes phải là giá trị băm SHA-256 (base64)."
            )
        citizen = _credential_owner(ca, body.credential_id, grant)
        if ca.authority.revocation(citizen.certificate.serial_number) is not None:
            return {
                "status": ViettelCode.CERTIFICATE_INVALID,
                "message": "Chứng thư số đã hết hạn hoặc bị thu hồi.",
            }
        existing, _ = ca.desk.open(
            Provider.VIETTEL,
            body.request_id,
            citizen,
            body.description,
            [
                DigestToSign(doc_id, digest)
                for doc_id, digest in zip(
                    _doc_ids(body.request_id, len(digests)), digests, strict=True
                )
                if digest is not None
            ],
        )
    elif existing.user_id != grant.user_id:
        raise ViettelForbidden()
    return {"status": ViettelCode.OK, "transaction_id": existing.id}


@router.post("/requests/status")
async def request_status(body: ViettelStatusQuery, grant: Grant, ca: CaDep) -> dict[str, Any]:
    """Where the request stands: 4000 waiting, 1 signed (with signatures), 4001, 4002."""
    try:
        transaction = ca.desk.get(body.transaction_id)
    except UnknownTransaction:
        raise ViettelTransactionNotFound() from None
    if transaction.provider is not Provider.VIETTEL or transaction.user_id != grant.user_id:
        raise ViettelTransactionNotFound()
    answer: dict[str, Any] = {
        "status": VIETTEL_CODES[transaction.status],
        "transaction_id": transaction.id,
    }
    if transaction.status is TransactionStatus.SIGNED:
        answer["signatures"] = [base64.b64encode(s).decode() for s in transaction.signatures]
    return answer


def _credential_owner(ca: SandboxCa, credential_id: str, grant: TokenGrant) -> Citizen:
    try:
        serial = int(credential_id, 16)
    except ValueError:
        raise CredentialNotFound() from None
    citizen = ca.citizens.by_serial(serial)
    if citizen is None or citizen.user_id != grant.user_id:
        raise CredentialNotFound()
    return citizen
