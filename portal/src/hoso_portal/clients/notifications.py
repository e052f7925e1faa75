"""Client of the notifications service (the "Thông báo" page and the header's badge)."""

from __future__ import annotations

from hoso_portal.clients.base import ServiceClient
from hoso_portal.notices import Notice, notice_from_api


class NotificationsClient(ServiceClient):
    service = "notifications"

    async def page(self, token: str, *, page: int, size: int) -> tuple[list[Notice], int]:
        body = await self.json(
            "GET", "/v1/notifications", token, params={"page": page, "size": size}
        )
        # the page is the caller's own: the service filters by the token's subject
        return [notice_from_api(item, "") for item in body["items"]], int(body["total"])

    async def unread(self, token: str) -> int:
        body = await self.json("GET", "/v1/notifications/unread-count", token)
        return int(body["unread"])

    async def mark_read(self, token: str, notice_id: str | None = None) -> None:
        path = (
            "/v1/notifications/read" if notice_id is None else f"/v1/notifications/{notice_id}/read"
        )
        await self.request("POST", path, token)
