"""What a platform event means for the people it names: notifications and the messages to send.

One event gives at most one notification per person, keyed by the event and the person
(`notification_id`), so a redelivered event maps onto the same notification. A signing's
outcome is keyed by its sign request instead of its event id: signing announces an outcome
again (`reconciled`) under a new event id, and that is the same news.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from hoso_common.events import (
    DossierResultReturned,
    DossierStatusChanged,
    DossierSubmitted,
    Envelope,
    SignCompleted,
)

Kind = Literal["signing", "dossier", "result"]
Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")

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

# What the citizen should do next, for the statuses that ask something of them.
STATUS_ADVICE = {
    1: "Cơ quan giải quyết sẽ xem xét và tiếp nhận hồ sơ trong thời gian sớm nhất.",
    3: "Ông/Bà vui lòng xem lý do trong trang hồ sơ trước khi nộp lại.",
    5: "Ông/Bà vui lòng bổ sung giấy tờ theo yêu cầu trên Cổng dịch vụ công.",
    6: "Ông/Bà vui lòng thực hiện nghĩa vụ tài chính theo hướng dẫn trên Cổng dịch vụ công.",
    9: "Cơ quan giải quyết sẽ trả kết quả cho Ông/Bà trong thời gian sớm nhất.",
}

SIGN_TITLES = {
    "signed": "Ký số thành công",
    "rejected": "Yêu cầu ký số đã bị từ chối",
    "expired": "Yêu cầu ký số đã hết hạn",
    "failed": "Ký số không thành công",
}

FOOTER = (
    "Đây là thư tự động của Cổng dịch vụ công hoso. Vui lòng không trả lời thư này.\n"
    "Nếu Ông/Bà không thực hiện thủ tục này, vui lòng bỏ qua thư."
)


@dataclass(frozen=True)
class Message:
    """The words sent to a person outside the portal (e-mail subject and text, SMS text)."""

    subject: str
    text: str
    sms: str


@dataclass
class Notification:
    """One notification for one person, and the messages still to send them."""

    id: str
    recipient: str
    kind: Kind
    title: str
    body: str
    link: str | None
    subject_id: str
    event_id: str
    event_type: str
    created_at: datetime
    read: bool = False
    # None: this event is told on the portal only (no e-mail, no SMS)
    message: Message | None = None
    channels: tuple[Channel, ...] = field(default=())


def notification_id(key: str, recipient: str) -> str:
    """The same id for the same news to the same person, whatever the delivery."""
    return hashlib.sha256(f"{key}\x00{recipient}".encode()).hexdigest()[:32]


def message_id(notification: str, channel: Channel, domain: str) -> str:
    """A Message-ID fixed by the notification: a resend would carry the same one."""
    return f"<{notification}.{channel}@{domain}>"


def greeting(name: str | None) -> str:
    return f"Kính gửi Ông/Bà {name}," if name else "Kính gửi Ông/Bà,"


def compose(message: Message, name: str | None, link: str | None) -> str:
    """The e-mail's plain text: greeting, the news, where to read more, the footer."""
    parts = [greeting(name), "", message.text]
    if link:
        parts += ["", f"Xem chi tiết: {link}"]
    parts += ["", "--", FOOTER]
    return "\n".join(parts) + "\n"


def plan(envelope: Envelope[Any], *, channels: tuple[Channel, ...]) -> list[Notification]:
    """The notifications an event means: one per person it names, none for events of nobody.

    `channels` are the ones beyond the portal that this deployment sends (e-mail, SMS); only
    a dossier's status change and its returned result are sent on them.
    """
    data = envelope.data
    created = envelope.time
    if isinstance(data, SignCompleted):
        if not data.signer_sub:
            return []
        what = {
            "documents": "giấy tờ",
            "eforms": "biểu mẫu điện tử",
            "submission": "kết quả giải quyết hồ sơ",
        }[data.source]
        body = {
            "signed": f"Yêu cầu ký số {what} đã hoàn tất. Bạn có thể tải tệp đã ký.",
            "rejected": f"Yêu cầu ký số {what} đã bị từ chối trên ứng dụng ký số.",
            "expired": f"Yêu cầu ký số {what} đã hết hạn trước khi được xác nhận.",
            "failed": f"Không ký số được {what}. Vui lòng thử lại.",
        }[data.status]
        return [
            Notification(
                id=notification_id(f"signing:{data.request_id}", data.signer_sub),
                recipient=data.signer_sub,
                kind="signing",
                title=SIGN_TITLES[data.status],
                body=body,
                link={
                    "documents": f"/ho-so-dien-tu/{data.source_id}",
                    "submission": f"/can-bo/ho-so/{data.source_id}/ket-qua",
                }.get(data.source),
                subject_id=data.source_id,
                event_id=envelope.id,
                event_type=envelope.type,
                created_at=created,
            )
        ]
    if isinstance(data, DossierSubmitted):
        return [
            Notification(
                id=notification_id(envelope.id, data.owner_id),
                recipient=data.owner_id,
                kind="dossier",
                title="Nộp hồ sơ thành công",
                body=f"Hồ sơ đã được nộp, mã hồ sơ {data.receipt_code}.",
                link=f"/ho-so-da-nop/{data.dossier_id}",
                subject_id=data.dossier_id,
                event_id=envelope.id,
                event_type=envelope.type,
                created_at=created,
            )
        ]
    if isinstance(data, DossierStatusChanged):
        if not data.owner_id:
            return []
        status = DOSSIER_STATUS.get(data.to_status, str(data.to_status))
        code = data.receipt_code or data.dossier_id
        body = f"Hồ sơ {code}: {status}."
        if data.note:
            body += f" Ghi chú: {data.note}"
        text = [f"Hồ sơ {code} của Ông/Bà đã chuyển sang trạng thái «{status}»."]
        if data.note:
            text.append(f"Ghi chú của cán bộ: {data.note}")
        if data.to_status in STATUS_ADVICE:
            text.append(STATUS_ADVICE[data.to_status])
        return [
            Notification(
                id=notification_id(envelope.id, data.owner_id),
                recipient=data.owner_id,
                kind="dossier",
                title="Hồ sơ thay đổi trạng thái",
                body=body,
                link=f"/ho-so-da-nop/{data.dossier_id}",
                subject_id=data.dossier_id,
                message=Message(
                    subject=f"Hồ sơ {code}: {status}",
                    text="\n".join(text),
                    sms=f"Ho so {code}: {status}. Chi tiet tren Cong dich vu cong.",
                ),
                channels=channels,
                event_id=envelope.id,
                event_type=envelope.type,
                created_at=created,
            )
        ]
    if isinstance(data, DossierResultReturned):
        signed_by = f" bởi {data.signer_name}" if data.signer_name else ""
        return [
            Notification(
                id=notification_id(envelope.id, data.owner_id),
                recipient=data.owner_id,
                kind="result",
                title="Đã có kết quả giải quyết hồ sơ",
                body=(
                    f"Hồ sơ {data.receipt_code} ({data.procedure_name}) đã có kết quả giải "
                    "quyết. Văn bản kết quả đã được lưu vào Hồ sơ điện tử của bạn."
                ),
                link=f"/ho-so-da-nop/{data.dossier_id}",
                subject_id=data.dossier_id,
                message=Message(
                    subject=f"Hồ sơ {data.receipt_code}: đã có kết quả giải quyết",
                    text=(
                        f"Kết quả giải quyết thủ tục «{data.procedure_name}» của hồ sơ "
                        f"{data.receipt_code} đã được trả cho Ông/Bà.\n"
                        f"Văn bản kết quả đã được ký số{signed_by} và được lưu vào "
                        "Hồ sơ điện tử của Ông/Bà trên Cổng dịch vụ công."
                    ),
                    sms=(
                        f"Ho so {data.receipt_code} da co ket qua giai quyet. "
                        "Xem tren Cong dich vu cong."
                    ),
                ),
                channels=channels,
                event_id=envelope.id,
                event_type=envelope.type,
                created_at=created,
            )
        ]
    return []
