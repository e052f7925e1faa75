"""App factory of the notifications service."""

from __future__ import annotations

import httpx
from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.broker import publish_envelope
from hoso_common.events import NotificationCreated, new_envelope
from hoso_common.platform import Platform
from hoso_notifications.api.routes import router
from hoso_notifications.config import Settings
from hoso_notifications.directory import KeycloakDirectory
from hoso_notifications.domain.notification import Channel
from hoso_notifications.events import register_subscribers
from hoso_notifications.metrics import register_gauges
from hoso_notifications.repository import MongoNotificationStore
from hoso_notifications.service import (
    Delivery,
    NotificationService,
    Send,
    email_sender,
    sms_sender,
)
from hoso_notifications.sms import LogSmsSender
from hoso_notifications.smtp import SmtpMailer


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("notifications", settings)
    store = MongoNotificationStore(platform.db)
    http = httpx.AsyncClient()
    directory = KeycloakDirectory(settings, http)
    senders: dict[Channel, Send] = {
        "email": email_sender(
            SmtpMailer(settings),
            sender=settings.mail_from,
            domain=settings.mail_domain,
            portal_url=settings.portal_url,
        )
    }
    if settings.sms_provider == "log":
        senders["sms"] = sms_sender(LogSmsSender(), domain=settings.mail_domain)
    deliveries = [
        Delivery(
            channel=channel,
            store=store,
            directory=directory,
            send=send,
            lease_s=settings.delivery_lease_s,
            poll_s=settings.delivery_poll_s,
            backoff_base_s=settings.delivery_backoff_s,
            max_backoff_s=settings.delivery_max_backoff_s,
            hold_after_send_s=settings.hold_after_send_s,
        )
        for channel, send in senders.items()
    ]

    async def announce(created: NotificationCreated) -> None:
        await publish_envelope(platform.broker, new_envelope(created, source=platform.source))

    def nudge() -> None:
        for delivery in deliveries:
            delivery.nudge()

    service = NotificationService(
        store=store, announce=announce, channels=tuple(senders), nudge=nudge
    )
    register_subscribers(platform.broker, service, group_id=settings.consumer_group)

    async def start() -> None:
        await store.create_indexes()
        for delivery in deliveries:
            delivery.start()

    async def stop() -> None:
        for delivery in deliveries:
            await delivery.stop()
        await http.aclose()

    return create_service_app(
        platform,
        title="Thông báo — notifications",
        description=(
            "Notifications of each person from the platform's events, their unread count, "
            "and e-mail (SMTP) and SMS sent at most once per event."
        ),
        use_cases=[service],
        routers=[router],
        on_startup=[start],
        on_shutdown=[stop],
        gauges=[register_gauges(store, tuple(senders))],
    )
