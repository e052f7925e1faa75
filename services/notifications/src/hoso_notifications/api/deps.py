"""Dependencies of the notifications routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hoso_common.app import use_case_dependency
from hoso_notifications.service import NotificationService

Service = Annotated[NotificationService, Depends(use_case_dependency(NotificationService))]
