"""Client of the submission service: the procedure catalogue and the citizen's dossiers."""

from __future__ import annotations

from typing import Any

from hoso_portal.clients.base import Download, ServiceClient
from hoso_portal.upload import Upload


class SubmissionClient(ServiceClient):
    service = "submission"

    async def procedures(
        self, token: str, *, q: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if q:
            params["q"] = q
        result: dict[str, Any] = await self.json("GET", "/v1/procedures", token, params=params)
        items: list[dict[str, Any]] = result.get("items", [])
        return items

    async def procedure(self, token: str, code: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json("GET", f"/v1/procedures/{code}", token)
        return result

    async def create(self, token: str, procedure_code: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "POST", "/v1/dossiers", token, json={"procedure_code": procedure_code}
        )
        return result

    async def dossiers(self, token: str, *, limit: int, offset: int) -> list[dict[str, Any]]:
        params = {"limit": limit, "offset": offset}
        result: dict[str, Any] = await self.json("GET", "/v1/dossiers", token, params=params)
        items: list[dict[str, Any]] = result.get("items", [])
        return items

    async def dossier(self, token: str, dossier_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json("GET", f"/v1/dossiers/{dossier_id}", token)
        return result

    async def upload(
        self, token: str, dossier_id: str, code: str, upload: Upload
    ) -> dict[str, Any]:
        """ "Từ máy tính": a component's file."""
        path = f"/v1/dossiers/{dossier_id}/components/{code}/upload"
        return await self.forward(path, token, upload)

    async def attach_vault(
        self, token: str, dossier_id: str, code: str, *, document_id: str, version: int, sha256: str
    ) -> dict[str, Any]:
        body = {"document_id": document_id, "version": version, "sha256": sha256}
        result: dict[str, Any] = await self.json(
            "POST", f"/v1/dossiers/{dossier_id}/components/{code}/vault", token, json=body
        )
        return result

    async def attach_eform(
        self, token: str, dossier_id: str, code: str, form_id: str
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "POST",
            f"/v1/dossiers/{dossier_id}/components/{code}/eform",
            token,
            json={"form_id": form_id},
        )
        return result

    async def detach(self, token: str, dossier_id: str, code: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "DELETE", f"/v1/dossiers/{dossier_id}/components/{code}", token
        )
        return result

    async def component_file(self, token: str, dossier_id: str, code: str) -> Download:
        return await self.stream(f"/v1/dossiers/{dossier_id}/components/{code}/content", token)

    async def submit(self, token: str, dossier_id: str, idempotency_key: str) -> dict[str, Any]:
        """A repeated key answers with the same receipt: a double click submits once."""
        result: dict[str, Any] = await self.json(
            "POST",
            f"/v1/dossiers/{dossier_id}/submit",
            token,
            headers={"Idempotency-Key": idempotency_key},
        )
        return result

    async def withdraw(self, token: str, dossier_id: str, note: str | None) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "POST", f"/v1/dossiers/{dossier_id}/withdraw", token, json={"note": note}
        )
        return result

    async def statistics(self, token: str, agency: str | None) -> dict[str, Any]:
        """ "Thống kê": the officer's agency, or for an admin one agency or all of them."""
        params = {"agency": agency} if agency else {}
        result: dict[str, Any] = await self.json("GET", "/v1/statistics", token, params=params)
        return result

    # -- the result (kết quả giải quyết), for the officers of the dossier's agency ------------

    async def upload_result(self, token: str, dossier_id: str, upload: Upload) -> dict[str, Any]:
        """The officer's result PDF."""
        return await self.forward(f"/v1/dossiers/{dossier_id}/result", token, upload)

    async def sign_result(self, token: str, dossier_id: str, provider: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "POST", f"/v1/dossiers/{dossier_id}/result/sign", token, json={"provider": provider}
        )
        return result

    async def result_file(self, token: str, dossier_id: str) -> Download:
        return await self.stream(f"/v1/dossiers/{dossier_id}/result/content", token)

    async def inbox(
        self,
        token: str,
        *,
        statuses: list[int],
        procedure: str | None,
        q: str | None,
        limit: int,
        offset: int,
    ) -> dict[str, Any]:
        """ "Hồ sơ cần xử lý": a page of the officer's agency, with counts by status."""
        params: list[tuple[str, str | int]] = [("limit", limit), ("offset", offset)]
        params += [("status", s) for s in statuses]
        if procedure:
            params.append(("procedure", procedure))
        if q:
            params.append(("q", q))
        result: dict[str, Any] = await self.json("GET", "/v1/inbox", token, params=params)
        return result

    async def agency_procedures(self, token: str, agency: str | None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 100}
        if agency:
            params["agency"] = agency
        result: dict[str, Any] = await self.json("GET", "/v1/procedures", token, params=params)
        items: list[dict[str, Any]] = result.get("items", [])
        return items

    async def act(
        self,
        token: str,
        dossier_id: str,
        action: str,
        *,
        note: str | None = None,
        revision: int | None = None,
    ) -> dict[str, Any]:
        """An officer's action; with `revision`, refused (409) when the dossier moved since."""
        body: dict[str, Any] = {"action": action, "note": note}
        if revision is not None:
            body["expected_revision"] = revision
        result: dict[str, Any] = await self.json(
            "POST", f"/v1/dossiers/{dossier_id}/actions", token, json=body
        )
        return result

    async def signature_report(self, token: str, dossier_id: str, code: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.json(
            "GET", f"/v1/dossiers/{dossier_id}/components/{code}/signature-report", token
        )
        return result
