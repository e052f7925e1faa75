"""Request and response bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class NotificationPublic(BaseModel):
    id: str = Field(description="Notification id.")
    kind: Literal["signing", "dossier", "result"] = Field(description="What it is about.")
    title: str = Field(description="Title shown to the person (Vietnamese).")
    body: str = Field(description="Text shown to the person (Vietnamese).")
    link: str | None = Field(description="The portal page it points to.")
    subject_id: str = Field(description="Id of the document or dossier it is about.")
    created_at: datetime = Field(description="When the event happened.")
    read: bool = Field(description="Whether the person marked it read.")
    email: str | None = Field(
        description="State of its e-mail (pending, sent, failed, uncertain, skipped); "
        "null when it has none."
    )


class NotificationList(BaseModel):
    items: list[NotificationPublic]
    page: int
    size: int
    total: int
    unread: int


class UnreadCount(BaseModel):
    unread: int = Field(description="The caller's unread notifications.")


class MarkedRead(BaseModel):
    marked: int = Field(description="How many notifications this call marked read.")
