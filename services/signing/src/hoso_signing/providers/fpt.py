"""FPT-CA (FPT.eSign) adapter: the SignCloud remote-signing API, signed as a relying party.

Every call is a JSON POST to `{base}/<function>` carrying `relyingParty`, the signer's
`agreementUUID` and `credentialData`; every answer carries a `responseCode`. Which codes
are confirmed by public integrations and which are assumed is written in docs/providers.md.
"""

from __future__ import annotations

import base64
import functools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hoso_common.providers import display_name
from hoso_common.signcloud import SignCloudCode
from hoso_signing.providers import (
    AnswerOutcome,
    OtpRefused,
    ProviderAnswer,
    ProviderError,
    SignerCertificate,
    SignTicket,
    WebhookAnswer,
)
from hoso_signing.providers.http import decode_b64, post_json

PROVIDER_ID = "fpt-esign"
DISPLAY_NAME = display_name(PROVIDER_ID)

# SignCloud's numeric authorization methods and messaging modes.
AUTHORIZE_METHODS: dict[str, int] = {"sms": 1, "email": 2, "mobile": 3}
MESSAGING_ASYNC_SERVER = 2
MESSAGING_SYNC = 3
SHA256_MIME = "application/sha256-binary"
# The agreement id is ours to choose; a name-based UUID keeps it stable per citizen.
AGREEMENT_NAMESPACE = uuid.UUID("6f1d4c3e-2b7a-5d8e-9c10-4a5b6c7d8e9f")


# What a bill's answer means for the sign request: outcome and our stable reason code.
_OUTCOMES: dict[int, tuple[AnswerOutcome, str]] = {
    SignCloudCode.SUCCESS: ("approved", "signed"),
    SignCloudCode.WAITING_AUTHORIZATION: ("pending", "waiting"),
    SignCloudCode.WAITING_MOBILE_CONFIRMATION: ("pending", "waiting"),
    SignCloudCode.OTP_INVALID: ("pending", "otp_invalid"),
    SignCloudCode.REJECTED_BY_SIGNER: ("rejected", "rejected"),
    SignCloudCode.AUTHORIZATION_EXPIRED: ("expired", "expired"),
    SignCloudCode.OTP_LOCKED: ("failed", "otp_attempts_exhausted"),
    SignCloudCode.CERTIFICATE_REVOKED: ("failed", "certificate_revoked"),
    SignCloudCode.CERTIFICATE_EXPIRED: ("failed", "certificate_expired"),
    SignCloudCode.BILL_NOT_FOUND: ("failed", "bill_not_found"),
}
# Codes that refuse the call itself; the error code becomes the reason provider_<code>.
_REFUSALS: dict[int, tuple[str, str]] = {
    SignCloudCode.CREDENTIALS_INVALID: ("relying_party_refused", "credentials refused"),
    SignCloudCode.RELYING_PARTY_SIGNATURE_INVALID: (
        "relying_party_refused",
        "relying-party signature refused",
    ),
    SignCloudCode.TIMESTAMP_INVALID: ("relying_party_refused", "timestamp refused"),
    SignCloudCode.AGREEMENT_NOT_FOUND: ("agreement_not_found", "no agreement for this signer"),
    SignCloudCode.CERTIFICATE_REVOKED: ("certificate_revoked", "certificate revoked"),
    SignCloudCode.CERTIFICATE_EXPIRED: ("certificate_expired", "certificate expired"),
    SignCloudCode.REQUEST_INVALID: ("request_invalid", "request refused as invalid"),
    SignCloudCode.BILL_NOT_FOUND: ("bill_not_found", "bill code unknown"),
}


@dataclass(frozen=True)
class RelyingParty:
    """Who we are to SignCloud: the account FPT-CA issued and the key we sign calls with."""

    name: str
    user: str
    password: str
    signature: str
    private_key_pem: str

    def credential_data(self, now_ms: int) -> dict[str, str]:
        timestamp = str(now_ms)
        key = _load_key(self.private_key_pem)
        data = (self.user + self.password + self.signature + timestamp).encode()
        pkcs1 = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return {
            "username": self.user,
            "password": self.password,
            "signature": self.signature,
            "timestamp": timestamp,
            "pkcs1Signature": base64.b64encode(pkcs1).decode(),
        }


@functools.lru_cache(maxsize=4)
def _load_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ProviderError("FPT relying-party key is not RSA", retryable=False)
    return key


def agreement_uuid(user_id: str) -> str:
    return str(uuid.uuid5(AGREEMENT_NAMESPACE, user_id))


def _code(body: dict[str, Any]) -> int:
    value = body.get("responseCode")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderError("FPT.eSign answered without a responseCode", retryable=False)
    return value


class FptESignClient:
    provider_id = PROVIDER_ID
    display_name = DISPLAY_NAME
    supports_webhook = True

    def __init__(
        self,
        base_url: str,
        relying_party: RelyingParty,
        *,
        authorize_method: Literal["mobile", "sms", "email"] = "mobile",
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 15.0,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.relying_party = relying_party
        self.authorize_method = authorize_method
        self.client = client or httpx.AsyncClient(timeout=timeout_s)
        self._clock_ms = clock_ms

    @property
    def uses_otp(self) -> bool:
        """The citizen types a one-time code into the portal instead of confirming in the app."""
        return self.authorize_method != "mobile"

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(self, function: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = {
            "relyingParty": self.relying_party.name,
            **payload,
            "credentialData": self.relying_party.credential_data(self._clock_ms()),
        }
        status, body = await post_json(self.client, f"{self.base_url}/{function}", request)
        if status >= 400:
            raise ProviderError(
                f"FPT.eSign HTTP {status} on {function}", retryable=False, code=str(status)
            )
        return _code(body), body

    @staticmethod
    def _refuse(function: str, code: int, body: dict[str, Any]) -> ProviderError:
        reason, text = _REFUSALS.get(code, (f"fpt_{code}", "unexpected answer"))
        return ProviderError(
            f"FPT.eSign {function}: {text} ({code}: {body.get('responseMessage')})",
            retryable=False,
            code=reason,
        )

    async def get_certificate(self, user_id: str) -> SignerCertificate:
        agreement = agreement_uuid(user_id)
        code, body = await self._call(
            "getCertificateDetailForSignCloud", {"agreementUUID": agreement}
        )
        if code == SignCloudCode.AGREEMENT_NOT_FOUND:
            # First signature of this citizen with us: register the agreement, then look again.
            code, body = await self._call(
                "prepareCertificateForSignCloud",
                {
                    "agreementUUID": agreement,
                    "certificateProfile": "PERS.1D",
                    "agreementDetails": {"citizenID": user_id},
                },
            )
            if code != SignCloudCode.SUCCESS:
                raise self._refuse("prepareCertificateForSignCloud", code, body)
            code, body = await self._call(
                "getCertificateDetailForSignCloud", {"agreementUUID": agreement}
            )
        if code != SignCloudCode.SUCCESS or not body.get("certificate"):
            raise self._refuse("getCertificateDetailForSignCloud", code, body)
        chain = tuple(
            decode_b64(item, "chain certificate") for item in body.get("certificateChain") or []
        )
        return SignerCertificate(
            provider=PROVIDER_ID,
            user_id=user_id,
            certificate=decode_b64(body["certificate"], "certificate"),
            chain=chain,
            serial_number=str(body.get("certificateSerialNumber", "")),
            credential_id=agreement,
        )

    async def sign_hash(
        self,
        *,
        certificate: SignerCertificate,
        request_id: str,
        digest: bytes,
        document_name: str,
        file_type: Literal["pdf", "other"],
    ) -> SignTicket:
        code, body = await self._call(
            "prepareHashSigningForSignCloud",
            {
                "agreementUUID": certificate.credential_id or agreement_uuid(certificate.user_id),
                # Our request id makes a repeated call (after a crash) find the same bill.
                "relyingPartyBillCode": request_id,
                "authorizeMethod": AUTHORIZE_METHODS[self.authorize_method],
                "messagingMode": MESSAGING_ASYNC_SERVER,
                # What the FPT app (or the OTP message) shows the citizen about the request.
                "notificationSubject": "Yêu cầu ký số",
                "notificationTemplate": document_name,
                "hash": base64.b64encode(digest).decode(),
                "hashAlgorithm": "SHA-256",
                "mimeType": SHA256_MIME,
            },
        )
        if code not in (
            SignCloudCode.WAITING_AUTHORIZATION,
            SignCloudCode.WAITING_MOBILE_CONFIRMATION,
        ) or not body.get("billCode"):
            raise self._refuse("prepareHashSigningForSignCloud", code, body)
        return SignTicket(transaction_id=str(body["billCode"]), code=body.get("transactionCode"))

    def _answer(self, code: int, body: dict[str, Any]) -> ProviderAnswer:
        if code in (
            SignCloudCode.CREDENTIALS_INVALID,
            SignCloudCode.RELYING_PARTY_SIGNATURE_INVALID,
            SignCloudCode.TIMESTAMP_INVALID,
        ):
            # Our own credentials failed: retrying later, once they are fixed, may help.
            raise ProviderError(
                "FPT.eSign refused the relying-party credentials",
                retryable=False,
                code="relying_party_refused",
            )
        outcome, reason = _OUTCOMES.get(code, ("failed", f"fpt_{code}"))
        if outcome != "approved":
            return ProviderAnswer(outcome=outcome, reason=reason)
        value = body.get("signatureValue")
        if not value:
            return ProviderAnswer(outcome="failed", reason="signed_without_signature")
        return ProviderAnswer(outcome="approved", signature_value=decode_b64(value, "signature"))

    async def get_status(self, *, transaction_id: str, user_id: str) -> ProviderAnswer:
        code, body = await self._call(
            "getSignatureValueForSignCloud",
            {"agreementUUID": agreement_uuid(user_id), "billCode": transaction_id},
        )
        return self._answer(code, body)

    async def authorize_otp(self, *, transaction_id: str, user_id: str, otp: str) -> ProviderAnswer:
        """Complete an OTP authorization; OtpRefused when the code is wrong."""
        code, body = await self._call(
            "authorizeCounterSigningForSignCloud",
            {
                "agreementUUID": agreement_uuid(user_id),
                "billCode": transaction_id,
                "authorizeCode": otp,
                "messagingMode": MESSAGING_SYNC,
            },
        )
        if code == SignCloudCode.OTP_INVALID:
            remaining = body.get("remainingCounter")
            raise OtpRefused(remaining if isinstance(remaining, int) else 0)
        return self._answer(code, body)

    def parse_webhook(self, body: bytes) -> WebhookAnswer:
        try:
            payload = json.loads(body)
            bill_code = str(payload["billCode"])
            code = _code(payload)
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
            raise ProviderError("malformed FPT.eSign notification", retryable=False) from error
        request_id = payload.get("relyingPartyBillCode")
        return WebhookAnswer(
            transaction_id=bill_code,
            request_id=str(request_id) if request_id else None,
            answer=self._answer(code, payload),
        )
