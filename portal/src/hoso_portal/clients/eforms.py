"""Client of the e-forms service: templates, the address catalogue, the citizen's forms."""

from __future__ import annotations

from typing import Any

from hoso_portal.clients.base import Download, ServiceClient


class EformsClient(ServiceClient):
    service = "eforms"

    async def template(self, token: str, code: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json("GET", f"/v1/templates/{code}", token)
        return result

    async def template_version(self, token: str, code: str, version: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "GET", f"/v1/templates/{code}/versions/{version}", token
        )
        return result

    async def provinces(self, token: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.json("GET", "/v1/catalogue/provinces", token)
        return result

    async def communes(self, token: str, province: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.json(
            "GET", f"/v1/catalogue/provinces/{province}/communes", token
        )
        return result

    async def create(self, token: str, template_code: str, data: dict[str, Any]) -> dict[str, Any]:
        """ "Thêm": a 422 carries one `errors[]` entry per field, by JSON pointer."""
        result: dict[str, Any] = await self.json(
            "POST", "/v1/forms", token, json={"template_code": template_code, "data": data}
        )
        return result

    async def update(self, token: str, form_id: str, data: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "PUT", f"/v1/forms/{form_id}", token, json={"data": data}
        )
        return result

    async def get(self, token: str, form_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json("GET", f"/v1/forms/{form_id}", token)
        return result

    async def list_signed(self, token: str, template_code: str) -> list[dict[str, Any]]:
        params = {"template_code": template_code, "status": "signed"}
        result: list[dict[str, Any]] = await self.json("GET", "/v1/forms", token, params=params)
        return result

    async def sign(self, token: str, form_id: str, provider: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "POST", f"/v1/forms/{form_id}/sign", token, json={"provider": provider}
        )
        return result

    async def pdf(self, token: str, form_id: str) -> Download:
        """ "In": the printed form."""
        return await self.stream(f"/v1/forms/{form_id}/pdf", token)

    async def signed_pdf(self, token: str, form_id: str) -> Download:
        return await self.stream(f"/v1/forms/{form_id}/signed-pdf", token)
