"""VNPT SmartCA adapter: sp_id/sp_password JSON calls, hash signing, status and webhooks."""

from __future__ import annotations

import json
from typing import Any, Literal

from hoso_common.providers import display_name
from hoso_signing.providers import (
    ProviderAnswer,
    ProviderError,
    SignerCertificate,
    SignTicket,
    WebhookAnswer,
)
from hoso_signing.providers.http import AccountClient, decode_b64, post_json

PROVIDER_ID = "vnpt-smartca"
DISPLAY_NAME = display_name(PROVIDER_ID)

_STATUS_OUTCOMES: dict[str, Literal["pending", "approved", "rejected", "expired", "failed"]] = {
    "wait": "pending",
    "signed": "approved",
    "rejected": "rejected",
    "expired": "expired",
    "failed": "failed",
}
_CODE_OUTCOMES: dict[Any, Literal["pending", "approved", "rejected", "expired", "failed"]] = {
    200: "approved",
    4001: "expired",
    4002: "rejected",
}
_MESSAGE_OUTCOMES: dict[str, Literal["pending", "approved", "rejected", "expired", "failed"]] = {
    "WAITING_FOR_SIGNER_CONFIRM": "pending",
    "SUCCESS": "approved",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
}


class VnptSmartCAClient(AccountClient):
    """The account is the service provider's sp_id, the secret its sp_password."""

    provider_id = PROVIDER_ID
    display_name = DISPLAY_NAME
    supports_webhook = True

    def _credentials(self) -> dict[str, str]:
        return {"sp_id": self.account, "sp_password": self.secret}

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        status, body = await post_json(
            self.client, f"{self.base_url}{path}", {**self._credentials(), **payload}
        )
        code = body.get("status_code", status)
        if status == 401 or code == 401:
            raise ProviderError(
                "VNPT SmartCA refused the SP credentials", retryable=False, code="401"
            )
        if status >= 400 or code not in (200, None):
            raise ProviderError(
                f"VNPT SmartCA error {code}: {body.get('message')}",
                retryable=False,
                code=str(code),
            )
        return body

    async def get_certificate(self, user_id: str) -> SignerCertificate:
        body = await self._call("/v1/credentials/get_certificate", {"user_id": user_id})
        certificates = (body.get("data") or {}).get("user_certificates") or []
        if not certificates:
            raise ProviderError("no certificate for this user", retryable=False, code="no_cert")
        entry = certificates[0]
        chain_data = entry.get("chain_data") or {}
        chain = tuple(
            decode_b64(chain_data[name], "chain certificate")
            for name in ("ca_cert", "root_cert")
            if chain_data.get(name)
        )
        return SignerCertificate(
            provider=PROVIDER_ID,
            user_id=user_id,
            certificate=decode_b64(entry["cert_data"], "certificate"),
            chain=chain,
            serial_number=str(entry.get("serial_number", "")),
            credential_id=str(entry.get("cert_id")) if entry.get("cert_id") else None,
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
        payload: dict[str, Any] = {
            "user_id": certificate.user_id,
            "transaction_id": request_id,
            "transaction_desc": document_name,
            "sign_files": [
                {
                    "data_to_be_signed": digest.hex(),
                    "doc_id": request_id,
                    "file_type": file_type,
                    "sign_type": "hash",
                }
            ],
        }
        if certificate.serial_number:
            payload["serial_number"] = certificate.serial_number
        body = await self._call("/v1/signatures/sign", payload)
        data = body.get("data") or {}
        if not data.get("transaction_id"):
            raise ProviderError("VNPT SmartCA returned no transaction id", retryable=False)
        return SignTicket(
            transaction_id=str(data["transaction_id"]),
            code=str(data["tran_code"]) if data.get("tran_code") else None,
        )

    async def get_status(self, *, transaction_id: str, user_id: str) -> ProviderAnswer:
        body = await self._call(f"/v1/signatures/sign/{transaction_id}/status", {})
        data = body.get("data") or {}
        outcome = _STATUS_OUTCOMES.get(str(data.get("tran_status", "")))
        if outcome is None:
            outcome = _MESSAGE_OUTCOMES.get(str(body.get("message", "")), "pending")
        return self._answer(outcome, data.get("signatures") or [], str(body.get("message")))

    def _answer(
        self,
        outcome: Literal["pending", "approved", "rejected", "expired", "failed"],
        signatures: list[dict[str, Any]],
        reason: str | None,
    ) -> ProviderAnswer:
        if outcome != "approved":
            return ProviderAnswer(outcome=outcome, reason=reason)
        if not signatures or not signatures[0].get("signature_value"):
            return ProviderAnswer(outcome="failed", reason="signed_without_signature")
        return ProviderAnswer(
            outcome="approved",
            signature_value=decode_b64(signatures[0]["signature_value"], "signature"),
        )

    def parse_webhook(self, body: bytes) -> WebhookAnswer:
        try:
            payload = json.loads(body)
            transaction_id = str(payload["transaction_id"])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
            raise ProviderError("malformed VNPT callback", retryable=False) from error
        status = str(payload.get("status", ""))
        outcome = _STATUS_OUTCOMES.get(status) or _CODE_OUTCOMES.get(
            payload.get("status_code"), "failed"
        )
        request_id = payload.get("sp_transaction_id")
        return WebhookAnswer(
            transaction_id=transaction_id,
            request_id=str(request_id) if request_id else None,
            answer=self._answer(outcome, payload.get("signed_files") or [], status or None),
        )
