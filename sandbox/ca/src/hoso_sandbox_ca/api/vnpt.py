"""VNPT SmartCA API shape (SP integration): certificate, sign hash, transaction status."""

from __future__ import annotations

import base64
import hmac
from typing import Any

from fastapi import APIRouter, Request

from hoso_sandbox_ca.api.deps import CaDep
from hoso_sandbox_ca.api.problems import (
    SpCredentialInvalid,
    VnptCredentialStatusInvalid,
    VnptRequestInvalid,
    VnptTransactionNotFound,
)
from hoso_sandbox_ca.api.schemas import (
    VnptCertificateQuery,
    VnptCredentials,
    VnptSignCreate,
)
from hoso_sandbox_ca.approvals import UnknownTransaction
from hoso_sandbox_ca.ca import SandboxCa
from hoso_sandbox_ca.citizens import Citizen
from hoso_sandbox_ca.domain.transactions import (
    VNPT_MESSAGES,
    VNPT_TRAN_STATUS,
    DigestToSign,
    Provider,
    iso_time,
)

router = APIRouter(prefix="/vnpt/v1", tags=["vnpt-smartca"])

CERT_STATUS_ACTIVE = "Đang hoạt động"
CERT_STATUS_REVOKED = "Đã thu hồi"


def check_sp(ca: SandboxCa, credentials: VnptCredentials) -> None:
    expected_id = ca.settings.vnpt_sp_id.encode()
    expected_password = ca.settings.vnpt_sp_password.get_secret_value().encode()
    id_ok = hmac.compare_digest(credentials.sp_id.encode(), expected_id)
    password_ok = hmac.compare_digest(credentials.sp_password.encode(), expected_password)
    if not (id_ok and password_ok):
        raise SpCredentialInvalid()


def parse_hex_digest(value: str) -> bytes | None:
    try:
        digest = bytes.fromhex(value)
    except ValueError:
        return None
    return digest if len(digest) == 32 else None


def _certificate_entry(ca: SandboxCa, citizen: Citizen) -> dict[str, Any]:
    certificate = citizen.certificate
    return {
        "cert_id": citizen.serial_hex,
        "cert_data": base64.b64encode(citizen.certificate_der).decode(),
        "chain_data": {
            "ca_cert": base64.b64encode(ca.authority.issuing.der).decode(),
            "root_cert": base64.b64encode(ca.authority.root.der).decode(),
        },
        "serial_number": citizen.serial_hex,
        "cert_subject": citizen.subject_dn,
        "cert_valid_from": certificate.not_valid_before_utc.isoformat(),
        "cert_valid_to": certificate.not_valid_after_utc.isoformat(),
        "cert_status": CERT_STATUS_REVOKED
        if ca.citizens.is_revoked(citizen)
        else CERT_STATUS_ACTIVE,
    }


@router.post("/credentials/get_certificate")
async def get_certificate(body: VnptCertificateQuery, ca: CaDep) -> dict[str, Any]:
    """The citizen's signing certificate and chain (enrolls an unknown citizen)."""
    check_sp(ca, body)
    citizen, _ = await ca.citizens.enroll(body.user_id)
    return {
        "status_code": 200,
        "message": "success",
        "data": {"user_certificates": [_certificate_entry(ca, citizen)]},
    }


TRACE_HEADERS = ("traceparent", "tracestate")


@router.post("/signatures/sign")
async def sign(body: VnptSignCreate, ca: CaDep, request: Request) -> dict[str, Any]:
    """Ask the citizen to approve signing SHA-256 digests (idempotent per transaction_id)."""
    check_sp(ca, body)
    existing = ca.ledger.by_caller(Provider.VNPT, body.transaction_id)
    if existing is None:
        digests = []
        for item in body.sign_files:
            digest = parse_hex_digest(item.data_to_be_signed)
            if digest is None or item.sign_type != "hash":
                raise VnptRequestInvalid(
                    "data_to_be_signed phải là giá trị băm SHA-256 dạng hex (sign_type = hash)."
                )
            digests.append(DigestToSign(item.doc_id, digest))
        citizen, _ = await ca.citizens.enroll(body.user_id)
        if body.serial_number and body.serial_number.lower() != citizen.serial_hex:
            raise VnptCredentialStatusInvalid("Số serial chứng thư số không khớp với thuê bao.")
        if ca.citizens.is_revoked(citizen):
            raise VnptCredentialStatusInvalid()
        trace = {k: v for k in TRACE_HEADERS if (v := request.headers.get(k))}
        existing, _ = ca.desk.open(
            Provider.VNPT, body.transaction_id, citizen, body.transaction_desc, digests, trace
        )
    return {
        "status_code": 200,
        "message": "sig_wait_for_user_confirm",
        "data": {"transaction_id": existing.id, "tran_code": existing.tran_code},
    }


@router.post("/signatures/sign/{tran_id}/status")
async def sign_status(tran_id: str, body: VnptCredentials, ca: CaDep) -> dict[str, Any]:
    """Where the transaction stands; signatures once the citizen approved."""
    check_sp(ca, body)
    try:
        transaction = ca.desk.get(tran_id)
    except UnknownTransaction:
        raise VnptTransactionNotFound() from None
    if transaction.provider is not Provider.VNPT:
        raise VnptTransactionNotFound()
    signed_at = iso_time(transaction.finished_at or transaction.created_at)
    return {
        "status_code": 200,
        "message": VNPT_MESSAGES[transaction.status],
        "data": {
            "transaction_id": transaction.id,
            "tran_status": VNPT_TRAN_STATUS[transaction.status],
            "signatures": [
                {
                    "doc_id": item.doc_id,
                    "signature_value": base64.b64encode(signature).decode(),
                    "timestamp_signature": signed_at,
                }
                for item, signature in zip(
                    transaction.digests, transaction.signatures, strict=False
                )
            ],
        },
    }
