"""Viettel MySign adapter: cached bearer login, certificates/info, async signHash, polling."""

from __future__ import annotations

import asyncio
import base64
import time
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

PROVIDER_ID = "viettel-mysign"
DISPLAY_NAME = display_name(PROVIDER_ID)
SHA256_OID = "2.16.840.1.101.3.4.2.1"
TOKEN_MARGIN_S = 60.0

_STATUS_OUTCOMES: dict[
    int, tuple[Literal["pending", "approved", "rejected", "expired", "failed"], str]
] = {
    1: ("approved", "ok"),
    4000: ("pending", "waiting"),
    6000: ("pending", "signing"),
    4001: ("expired", "timeout"),
    4002: ("rejected", "rejected"),
    4004: ("failed", "failed"),
    13004: ("failed", "certificate_expired_or_revoked"),
}


class ViettelMySignClient(AccountClient):
    """The account is the platform's client_id, the secret its client_secret."""

    provider_id = PROVIDER_ID
    display_name = DISPLAY_NAME
    supports_webhook = False

    def __init__(self, *args: Any, clock: Any = time.monotonic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _token(self, user_id: str, *, refresh: bool = False) -> str:
        cached = self._tokens.get(user_id)
        if cached and not refresh and cached[1] > self._clock():
            return cached[0]
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(user_id)
            if cached and not refresh and cached[1] > self._clock():
                return cached[0]
            status, body = await post_json(
                self.client,
                f"{self.base_url}/ras/v1/login",
                {
                    "client_id": self.account,
                    "client_secret": self.secret,
                    "user_id": user_id,
                },
            )
            if status == 401:
                raise ProviderError(
                    "Viettel MySign refused the client credentials", retryable=False, code="401"
                )
            if status >= 400 or not body.get("access_token"):
                raise ProviderError(f"Viettel MySign login failed ({status})", retryable=False)
            lifetime = float(body.get("expires_in", 3600))
            token = str(body["access_token"])
            self._tokens[user_id] = (token, self._clock() + max(lifetime - TOKEN_MARGIN_S, 1.0))
            return token

    async def _call(self, user_id: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(2):
            token = await self._token(user_id, refresh=attempt > 0)
            status, body = await post_json(
                self.client,
                f"{self.base_url}{path}",
                payload,
                headers={"Authorization": f"Bearer {token}"},
            )
            if status == 401 and attempt == 0:
                continue  # the token expired early: log in again once
            if status >= 400:
                raise ProviderError(
                    f"Viettel MySign error {status} on {path}", retryable=False, code=str(status)
                )
            return body
        raise ProviderError("Viettel MySign refused a fresh token", retryable=False, code="401")

    async def get_certificate(self, user_id: str) -> SignerCertificate:
        body = await self._call(user_id, "/ras/v1/certificates/info", {"user_id": user_id})
        entries = body.get("data") or []
        if body.get("status") != 1 or not entries:
            raise ProviderError("no certificate for this user", retryable=False, code="no_cert")
        entry = entries[0]
        cert = entry.get("cert") or {}
        chain = [decode_b64(item, "certificate") for item in cert.get("certificates") or []]
        if not chain:
            raise ProviderError("certificate entry without certificates", retryable=False)
        return SignerCertificate(
            provider=PROVIDER_ID,
            user_id=user_id,
            certificate=chain[0],
            chain=tuple(chain[1:]),
            serial_number=str(cert.get("serial_number", "")),
            credential_id=str(entry["credential_id"]),
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
        body = await self._call(
            certificate.user_id,
            "/ras/v1/signHash",
            {
                "credential_id": certificate.credential_id,
                "client_id": self.account,
                "hashAlgorithm": SHA256_OID,
                "hashes": [base64.b64encode(digest).decode()],
                "async": 1,
                "description": document_name,
                "request_id": request_id,
            },
        )
        if body.get("status") != 1 or not body.get("transaction_id"):
            raise ProviderError(
                f"Viettel MySign refused signHash (status {body.get('status')})",
                retryable=False,
                code=str(body.get("status")),
            )
        return SignTicket(transaction_id=str(body["transaction_id"]))

    async def get_status(self, *, transaction_id: str, user_id: str) -> ProviderAnswer:
        body = await self._call(
            user_id, "/ras/v1/requests/status", {"transaction_id": transaction_id}
        )
        code = body.get("status")
        outcome, reason = _STATUS_OUTCOMES.get(
            code if isinstance(code, int) else -1, ("failed", f"status_{code}")
        )
        if outcome != "approved":
            return ProviderAnswer(outcome=outcome, reason=reason)
        signatures = body.get("signatures") or []
        if not signatures:
            return ProviderAnswer(outcome="failed", reason="signed_without_signature")
        return ProviderAnswer(
            outcome="approved", signature_value=decode_b64(signatures[0], "signature")
        )

    def parse_webhook(self, body: bytes) -> WebhookAnswer:
        raise ProviderError("Viettel MySign has no callbacks", retryable=False, code="no_webhook")
