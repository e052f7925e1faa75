"""HTTP routes: the caller's own notifications, their unread count, and marking them read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from hoso_common.auth import CurrentUser
from hoso_notifications.api.deps import Service
from hoso_notifications.api.schemas import (
    MarkedRead,
    NotificationList,
    NotificationPublic,
    UnreadCount,
)

router = APIRouter(prefix="/v1", tags=["notifications"])

NotificationId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


@router.get("/notifications", response_model=NotificationList)
async def list_notifications(
    user: CurrentUser,
    service: Service,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationList:
    """The caller's notifications, newest first, with their unread count."""
    items, total, unread = await service.page(user.sub, page=page, size=size)
    return NotificationList(
        items=[
            NotificationPublic(
                id=n.id,
                kind=n.kind,
                title=n.title,
                body=n.body,
                link=n.link,
                subject_id=n.subject_id,
                created_at=n.created_at,
                read=n.read,
                email=(raw.get("email") or {}).get("state"),
            )
            for n, raw in items
        ],
        page=page,
        size=size,
        total=total,
        unread=unread,
    )


@router.get("/notifications/unread-count", response_model=UnreadCount)
async def unread_count(user: CurrentUser, service: Service) -> UnreadCount:
    """How many of the caller's notifications are unread (the portal's badge)."""
    return UnreadCount(unread=await service.unread(user.sub))


@router.post("/notifications/read", response_model=MarkedRead)
async def mark_all_read(user: CurrentUser, service: Service) -> MarkedRead:
    """Mark all of the caller's notifications read."""
    return MarkedRead(marked=await service.mark_read(user.sub))


@router.post(
    "/notifications/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No such notification of the caller."}},
)
async def mark_read(notification_id: NotificationId, user: CurrentUser, service: Service) -> None:
    """Mark one of the caller's notifications read (another person's is not found)."""
    await service.mark_read(user.sub, notification_id)
