"""Client of the documents service (the vault, "Hồ sơ điện tử")."""

from __future__ import annotations

from typing import Any

import httpx

from hoso_portal.clients.base import Download, ServiceClient, raise_for_problem
from hoso_portal.errors import ServiceDown
from hoso_portal.upload import Upload


class DocumentsClient(ServiceClient):
    service = "documents"

    async def list_page(self, token: str, *, page: int, size: int) -> dict[str, Any]:
        params = {"page": page, "size": size}
        result: dict[str, Any] = await self.json("GET", "/v1/documents", token, params=params)
        return result

    async def get(self, token: str, document_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json("GET", f"/v1/documents/{document_id}", token)
        return result

    async def upload(self, token: str, upload: Upload) -> dict[str, Any]:
        """A new document in the vault, from the upload form."""
        return await self.forward("/v1/documents", token, upload)

    async def sign(self, token: str, document_id: str, provider: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "POST", f"/v1/documents/{document_id}/sign", token, json={"provider": provider}
        )
        return result

    async def save(self, token: str, document_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json("POST", f"/v1/documents/{document_id}/save", token)
        return result

    async def signatures(self, token: str, document_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "GET", f"/v1/documents/{document_id}/signatures", token
        )
        return result

    async def download(self, token: str, document_id: str) -> Download:
        request = self.http.build_request(
            "GET",
            f"{self.base_url}/v1/documents/{document_id}/download",
            headers=self._headers(token, {"Accept": "*/*"}),
        )
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError as error:
            raise ServiceDown() from error
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise_for_problem(response, service=self.service)
        return Download(response)
