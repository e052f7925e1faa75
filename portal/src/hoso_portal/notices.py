"""The citizen's notices ("Thông báo"), as the notifications service keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass
class Notice:
    """One notification of the signed-in person, as the page shows it."""

    id: str
    sub: str
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool = False
    # what the live stream tells the open pages, e.g. which document's signing ended
    subject_id: str | None = None


def notice_from_api(item: dict[str, Any], sub: str) -> Notice:
    created = datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00"))
    return Notice(
        id=str(item["id"]),
        sub=sub,
        kind=str(item["kind"]),
        title=str(item["title"]),
        body=str(item["body"]),
        link=item.get("link"),
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        read=bool(item.get("read")),
        subject_id=item.get("subject_id"),
    )


class NoticeSource(Protocol):
    """The notifications API with the caller's own token: they see and mark only theirs."""

    async def page(self, token: str, *, page: int, size: int) -> tuple[list[Notice], int]: ...
    async def unread(self, token: str) -> int: ...
    async def mark_read(self, token: str, notice_id: str | None = None) -> None: ...
