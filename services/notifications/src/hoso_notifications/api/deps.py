"""Dependencies of the notifications routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hoso_notifications.service import NotificationService


def notification_service(request: Request) -> NotificationService:
    service: NotificationService | None = request.app.state.platform.notification_service
    assert service is not None, "create_app sets the notification service"
    return service


Service = Annotated[NotificationService, Depends(notification_service)]
