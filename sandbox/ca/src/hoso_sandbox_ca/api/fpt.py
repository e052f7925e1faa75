"""FPT.eSign API shape (SignCloud): relying-party calls answered with a `responseCode`.

Every call is a JSON POST to `/fpt/eSignCloud/restapi/<function>`. SignCloud answers HTTP 200
with a `responseCode` even when it refuses, so the refusals here are codes, not problems.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import APIRouter, Body

from hoso_common.sandbox_keys import FPT_DEV_RELYING_PARTY_KEY
from hoso_common.signcloud import SignCloudCode
from hoso_sandbox_ca.api.deps import CaDep
from hoso_sandbox_ca.approvals import OtpNotExpected, UnknownTransaction
from hoso_sandbox_ca.ca import SandboxCa
from hoso_sandbox_ca.citizens import Citizen
from hoso_sandbox_ca.domain.transactions import (
    SIGNCLOUD_MESSAGES,
    DigestToSign,
    Provider,
    SignTransaction,
    TransactionClosed,
    signcloud_answer,
)

router = APIRouter(prefix="/fpt/eSignCloud/restapi", tags=["fpt-esign"])

AUTHORIZE_MOBILE = 3
OTP_METHODS = frozenset({1, 2})  # SMS, e-mail
SHA256_MIME = "application/sha256-binary"
JsonBody = dict[str, Any]
# SignCloud bodies are read loosely, as the real service answers bad shapes with a code.
CallBody = Annotated[JsonBody, Body()]


class Refused(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def answer(code: int, **fields: Any) -> JsonBody:
    return {
        "responseCode": code,
        "responseMessage": SIGNCLOUD_MESSAGES[code],
        "timestamp": int(time.time() * 1000),
        **fields,
    }


def _public_key(ca: SandboxCa) -> rsa.RSAPublicKey:
    pem = ca.settings.fpt_relying_party_public_key
    if pem:
        key = serialization.load_pem_public_key(pem.encode())
    else:
        key = serialization.load_pem_private_key(
            FPT_DEV_RELYING_PARTY_KEY.encode(), password=None
        ).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the relying-party key must be RSA")
    return key


def check_relying_party(ca: SandboxCa, body: JsonBody) -> None:
    """Name, user, password and signature, a fresh timestamp, and the PKCS#1 signature."""
    settings = ca.settings
    credentials = body.get("credentialData")
    if not isinstance(credentials, dict):
        raise Refused(SignCloudCode.CREDENTIALS_INVALID)
    values = {
        name: str(credentials.get(name, ""))
        for name in ("username", "password", "signature", "timestamp", "pkcs1Signature")
    }
    expected = (
        (str(body.get("relyingParty", "")), settings.fpt_relying_party),
        (values["username"], settings.fpt_relying_party_user),
        (values["password"], settings.fpt_relying_party_password.get_secret_value()),
        (values["signature"], settings.fpt_relying_party_signature.get_secret_value()),
    )
    if not all(hmac.compare_digest(given.encode(), want.encode()) for given, want in expected):
        raise Refused(SignCloudCode.CREDENTIALS_INVALID)
    try:
        sent_ms = int(values["timestamp"])
    except ValueError:
        raise Refused(SignCloudCode.TIMESTAMP_INVALID) from None
    if abs(time.time() - sent_ms / 1000) > settings.fpt_timestamp_window_s:
        raise Refused(SignCloudCode.TIMESTAMP_INVALID)
    signed = (
        values["username"] + values["password"] + values["signature"] + values["timestamp"]
    ).encode()
    try:
        pkcs1 = base64.b64decode(values["pkcs1Signature"], validate=True)
        _public_key(ca).verify(pkcs1, signed, padding.PKCS1v15(), hashes.SHA256())
    except (binascii.Error, ValueError, InvalidSignature):
        raise Refused(SignCloudCode.RELYING_PARTY_SIGNATURE_INVALID) from None


def _agreement_owner(ca: SandboxCa, body: JsonBody) -> Citizen:
    user_id = ca.agreements.owner(str(body.get("agreementUUID", "")))
    citizen = ca.citizens.get(user_id) if user_id else None
    if citizen is None:
        raise Refused(SignCloudCode.AGREEMENT_NOT_FOUND)
    return citizen


def _certificate_problem(ca: SandboxCa, citizen: Citizen) -> int | None:
    if ca.authority.revocation(citizen.certificate.serial_number) is not None:
        return SignCloudCode.CERTIFICATE_REVOKED
    if citizen.certificate.not_valid_after_utc <= datetime.now(UTC):
        return SignCloudCode.CERTIFICATE_EXPIRED
    return None


def _bill(ca: SandboxCa, body: JsonBody, citizen: Citizen) -> SignTransaction:
    try:
        transaction = ca.desk.get(str(body.get("billCode", "")))
    except UnknownTransaction:
        raise Refused(SignCloudCode.BILL_NOT_FOUND) from None
    if transaction.provider is not Provider.FPT or transaction.user_id != citizen.user_id:
        raise Refused(SignCloudCode.BILL_NOT_FOUND)
    return transaction


@router.post("/prepareCertificateForSignCloud")
async def prepare_certificate(ca: CaDep, body: CallBody) -> JsonBody:
    """Register the signer's agreement (enrolls the citizen by `agreementDetails.citizenID`)."""
    try:
        check_relying_party(ca, body)
        details = body.get("agreementDetails")
        citizen_id = str(details.get("citizenID", "")) if isinstance(details, dict) else ""
        agreement = str(body.get("agreementUUID", ""))
        if not (citizen_id.isdigit() and len(citizen_id) == 12) or not agreement:
            raise Refused(SignCloudCode.REQUEST_INVALID)
        owner = ca.agreements.owner(agreement)
        if owner not in (None, citizen_id):
            raise Refused(SignCloudCode.REQUEST_INVALID)
        await ca.citizens.enroll(citizen_id)
        ca.agreements.register(agreement, citizen_id)
    except Refused as refused:
        return answer(refused.code)
    return answer(SignCloudCode.SUCCESS, agreementUUID=agreement)


@router.post("/getCertificateDetailForSignCloud")
async def certificate_detail(ca: CaDep, body: CallBody) -> JsonBody:
    """The agreement's certificate, DN, serial and (a sandbox addition) its chain."""
    try:
        check_relying_party(ca, body)
        citizen = _agreement_owner(ca, body)
    except Refused as refused:
        return answer(refused.code)
    certificate = citizen.certificate
    return answer(
        SignCloudCode.SUCCESS,
        certificate=base64.b64encode(citizen.certificate_der).decode(),
        certificateChain=[
            base64.b64encode(der).decode()
            for der in (ca.authority.issuing.der, ca.authority.root.der)
        ],
        certificateDN=citizen.subject_dn,
        certificateSerialNumber=citizen.serial_hex,
        issuerDN=ca.authority.issuing.certificate.subject.rfc4514_string(),
        validFrom=int(certificate.not_valid_before_utc.timestamp() * 1000),
        validTo=int(certificate.not_valid_after_utc.timestamp() * 1000),
        certificateStateID=1,
    )


@router.post("/prepareHashSigningForSignCloud")
async def prepare_hash_signing(ca: CaDep, body: CallBody) -> JsonBody:
    """Open a bill for one SHA-256 hash: 1007 until the signer authorizes (idempotent)."""
    try:
        check_relying_party(ca, body)
        citizen = _agreement_owner(ca, body)
        caller_bill = str(body.get("relyingPartyBillCode") or "")
        existing = ca.ledger.by_caller(Provider.FPT, caller_bill) if caller_bill else None
        if existing is not None:
            if existing.user_id != citizen.user_id:
                raise Refused(SignCloudCode.REQUEST_INVALID)
            return signcloud_answer(existing) | {"remainingCounter": existing.otp_attempts_left}
        method = body.get("authorizeMethod")
        if method != AUTHORIZE_MOBILE and method not in OTP_METHODS:
            raise Refused(SignCloudCode.REQUEST_INVALID)
        if body.get("mimeType") != SHA256_MIME:
            raise Refused(SignCloudCode.REQUEST_INVALID)
        try:
            digest = base64.b64decode(str(body.get("hash", "")), validate=True)
        except (binascii.Error, ValueError):
            raise Refused(SignCloudCode.REQUEST_INVALID) from None
        if len(digest) != 32:
            raise Refused(SignCloudCode.REQUEST_INVALID)
        problem = _certificate_problem(ca, citizen)
        if problem is not None:
            raise Refused(problem)
        transaction, _ = ca.desk.open(
            Provider.FPT,
            caller_bill or f"fpt-{time.time_ns()}",
            citizen,
            str(body.get("notificationTemplate") or ""),
            [DigestToSign(caller_bill or "hash", digest)],
            otp_attempts=ca.settings.fpt_otp_attempts if method in OTP_METHODS else None,
        )
    except Refused as refused:
        return answer(refused.code)
    return signcloud_answer(transaction) | {
        "authorizeMethod": method,
        "remainingCounter": transaction.otp_attempts_left,
    }


@router.post("/getSignatureValueForSignCloud")
async def signature_value(ca: CaDep, body: CallBody) -> JsonBody:
    """Where a bill stands: 1007 waiting, 0 with `signatureValue`, or why it ended."""
    try:
        check_relying_party(ca, body)
        transaction = _bill(ca, body, _agreement_owner(ca, body))
    except Refused as refused:
        return answer(refused.code)
    return signcloud_answer(transaction)


@router.post("/authorizeCounterSigningForSignCloud")
async def authorize_counter_signing(ca: CaDep, body: CallBody) -> JsonBody:
    """Complete an OTP bill: 0 with the signature, 1005 with `remainingCounter`, or 1006."""
    try:
        check_relying_party(ca, body)
        transaction = _bill(ca, body, _agreement_owner(ca, body))
        try:
            transaction = ca.desk.authorize_otp(transaction.id, str(body.get("authorizeCode", "")))
        except OtpNotExpected:
            raise Refused(SignCloudCode.REQUEST_INVALID) from None
        except TransactionClosed:
            return signcloud_answer(transaction)
    except Refused as refused:
        return answer(refused.code)
    if transaction.is_pending():
        return answer(
            SignCloudCode.OTP_INVALID,
            billCode=transaction.id,
            remainingCounter=transaction.otp_attempts_left,
        )
    return signcloud_answer(transaction)
