"""Client of the signing service: providers, sign request status and OTP, signature validation."""

from __future__ import annotations

from typing import Any

from hoso_portal.clients.base import ServiceClient
from hoso_portal.upload import Upload


class SigningClient(ServiceClient):
    service = "signing"

    async def providers(self, token: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.json("GET", "/v1/providers", token)
        return result

    async def sign_request(self, token: str, request_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json("GET", f"/v1/sign-requests/{request_id}", token)
        return result

    async def authorize_otp(self, token: str, request_id: str, otp: str) -> dict[str, Any]:
        """Pass on the OTP the CA sent the citizen; a wrong one answers 422 with attempts left."""
        result: dict[str, Any] = await self.json(
            "POST", f"/v1/sign-requests/{request_id}/otp", token, json={"otp": otp}
        )
        return result

    async def validate_upload(self, token: str, upload: Upload) -> dict[str, Any]:
        """Check the signatures of a file the citizen uploads."""
        return await self.forward("/v1/validations", token, upload)
