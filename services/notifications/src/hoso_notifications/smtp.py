"""The e-mail transport: SMTP, with the commit written between RCPT and DATA.

Everything before DATA (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT) delivers nothing, so a
failure there defers the message. DATA hands it over: a 4xx answer to it still means "not
taken", a 5xx means "refused", and a connection that ends without an answer leaves it
uncertain.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib

from hoso_notifications.config import Settings
from hoso_notifications.domain.delivery import DeliveryDeferred, DeliveryRefused, DeliveryUncertain

logger = logging.getLogger(__name__)

Commit = Callable[[], Awaitable[None]]


def build_email(*, sender: str, to: str, subject: str, text: str, message_id: str) -> Message:
    # The classic API on purpose: the default policy folds a long Vietnamese subject into
    # encoded-words that lose the space between them ("Yêu cầuthực hiện").
    message = MIMEText(text, "plain", "utf-8")
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address), "utf-8")
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8").encode()
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    built: Message = message
    return built


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: Message, *, commit: Commit) -> None:
        settings = self.settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_s,
            start_tls=settings.smtp_starttls,
        )
        try:
            await client.connect()
            if settings.smtp_username:
                await client.login(
                    settings.smtp_username, settings.smtp_password.get_secret_value()
                )
            await client.mail(_address(str(message["From"])))
            await client.rcpt(_address(str(message["To"])))
        except aiosmtplib.SMTPResponseException as error:
            await _close(client)
            if 400 <= error.code < 500:
                raise DeliveryDeferred(f"{error.code} {error.message}") from error
            raise DeliveryRefused(f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            await _close(client)
            raise DeliveryDeferred(repr(error)) from error
        try:
            await commit()
        except BaseException:
            await _close(client)
            raise
        try:
            await client.data(message.as_bytes())
        except aiosmtplib.SMTPResponseException as error:
            await _close(client)
            if 400 <= error.code < 500:
                raise DeliveryDeferred(f"{error.code} {error.message}") from error
            raise DeliveryRefused(f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            await _close(client)
            raise DeliveryUncertain(repr(error)) from error
        await _close(client)


def _address(header: str) -> str:
    return parseaddr(header)[1]


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()
