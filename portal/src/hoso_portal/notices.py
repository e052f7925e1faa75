"""The citizen's notices ("Thông báo"): made from platform events, kept per user in MongoDB."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hoso_common.events import DossierStatusChanged, DossierSubmitted, SignCompleted

logger = logging.getLogger(__name__)

NOTICES = "portal_notices"

# DVCQG's dossier status codes, as a citizen reads them.
DOSSIER_STATUS = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}

SIGN_TITLES = {
    "signed": "Ký số thành công",
    "rejected": "Yêu cầu ký số đã bị từ chối",
    "expired": "Yêu cầu ký số đã hết hạn",
    "failed": "Ký số không thành công",
}


@dataclass
class Notice:
    """One notice for one citizen; its id is the event's, so a redelivery changes nothing."""

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


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def notice_from_event(envelope: dict[str, Any]) -> Notice | None:
    """The notice an event means for its citizen; None for events no citizen is told of.

    Only the citizen named in the event (the signer, the dossier's owner) gets it: an event
    that names nobody is dropped rather than guessed at.
    """
    event_type = envelope.get("type")
    event_id = str(envelope.get("id") or "")
    created = _aware(datetime.fromisoformat(str(envelope["time"]).replace("Z", "+00:00")))
    data = envelope.get("data") or {}
    if event_type == SignCompleted.event_type:
        signed = SignCompleted.model_validate(data)
        if not signed.signer_sub:
            return None
        what = {
            "documents": "giấy tờ",
            "eforms": "biểu mẫu điện tử",
            "submission": "kết quả giải quyết hồ sơ",
        }[signed.source]
        body = {
            "signed": f"Yêu cầu ký số {what} đã hoàn tất. Bạn có thể tải tệp đã ký.",
            "rejected": f"Yêu cầu ký số {what} đã bị từ chối trên ứng dụng ký số.",
            "expired": f"Yêu cầu ký số {what} đã hết hạn trước khi được xác nhận.",
            "failed": f"Không ký số được {what}. Vui lòng thử lại.",
        }[signed.status]
        link = {
            "documents": f"/ho-so-dien-tu/{signed.source_id}",
            "submission": f"/can-bo/ho-so/{signed.source_id}/ket-qua",
        }.get(signed.source)
        return Notice(
            # one notice per sign request: a reconciled re-announcement is the same news
            id=f"signing:{signed.request_id}",
            sub=signed.signer_sub,
            kind="signing",
            title=SIGN_TITLES[signed.status],
            body=body,
            link=link,
            created_at=created,
            subject_id=signed.source_id,
        )
    if event_type == DossierStatusChanged.event_type:
        changed = DossierStatusChanged.model_validate(data)
        if not changed.owner_id:
            return None
        status = DOSSIER_STATUS.get(changed.to_status, str(changed.to_status))
        code = changed.receipt_code or changed.dossier_id
        body = f"Hồ sơ {code}: {status}."
        if changed.note:
            body += f" Ghi chú: {changed.note}"
        return Notice(
            id=event_id,
            sub=changed.owner_id,
            kind="dossier",
            title="Hồ sơ thay đổi trạng thái",
            body=body,
            link=f"/ho-so-da-nop/{changed.dossier_id}",
            created_at=created,
            subject_id=changed.dossier_id,
        )
    if event_type == DossierSubmitted.event_type:
        submitted = DossierSubmitted.model_validate(data)
        return Notice(
            id=event_id,
            sub=submitted.owner_id,
            kind="dossier",
            title="Nộp hồ sơ thành công",
            body=f"Hồ sơ đã được nộp, mã hồ sơ {submitted.receipt_code}.",
            link=f"/ho-so-da-nop/{submitted.dossier_id}",
            created_at=created,
            subject_id=submitted.dossier_id,
        )
    return None


class NoticeStore(Protocol):
    async def add(self, notice: Notice) -> bool: ...
    async def page(self, sub: str, *, page: int, size: int) -> tuple[list[Notice], int]: ...
    async def unread(self, sub: str) -> int: ...
    async def mark_read(self, sub: str, notice_id: str | None = None) -> None: ...


class MongoNoticeStore:
    """`_id` is the event id: the first delivery inserts, every later one is a no-op."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.notices = db[NOTICES]

    async def create_indexes(self) -> None:
        await self.notices.create_index([("sub", 1), ("created_at", -1)])
        await self.notices.create_index([("sub", 1), ("read", 1)])

    async def add(self, notice: Notice) -> bool:
        raw = asdict(notice)
        raw["_id"] = raw.pop("id")
        try:
            await self.notices.insert_one(raw)
        except DuplicateKeyError:
            return False
        return True

    async def page(self, sub: str, *, page: int, size: int) -> tuple[list[Notice], int]:
        total = await self.notices.count_documents({"sub": sub})
        cursor = (
            self.notices.find({"sub": sub})
            .sort([("created_at", -1), ("_id", -1)])
            .skip((page - 1) * size)
            .limit(size)
        )
        items = []
        async for raw in cursor:
            raw["id"] = raw.pop("_id")
            raw["created_at"] = _aware(raw["created_at"])
            items.append(Notice(**raw))
        return items, total

    async def unread(self, sub: str) -> int:
        return await self.notices.count_documents({"sub": sub, "read": False})

    async def mark_read(self, sub: str, notice_id: str | None = None) -> None:
        # the owner is part of every filter: nobody marks another citizen's notices
        query: dict[str, Any] = {"sub": sub, "read": False}
        if notice_id is not None:
            query["_id"] = notice_id
        await self.notices.update_many(query, {"$set": {"read": True}})
