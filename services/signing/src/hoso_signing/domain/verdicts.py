"""Validation findings of one signature and the Vietnamese one-line verdict built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Literal

VIETNAM_TZ = timezone(timedelta(hours=7), name="ICT")

Coverage = Literal["entire_file", "entire_revision", "partial", "unknown"]
Revocation = Literal["good", "revoked", "unknown"]


@dataclass(frozen=True)
class SignerInfo:
    subject: str
    common_name: str | None
    serial_number: str
    issuer: str
    subject_serial: str | None = None


@dataclass(frozen=True)
class TimestampInfo:
    time: datetime
    tsa: str | None
    valid: bool


@dataclass(frozen=True)
class SignatureFindings:
    """What the validator established about one signature, before any judgement."""

    format: Literal["pades", "cades"]
    signer: SignerInfo | None
    intact: bool
    cryptographically_valid: bool
    trusted: bool
    revocation: Revocation
    coverage: Coverage
    changed_after_signing: bool
    modifications_allowed: bool
    signing_time: datetime | None
    timestamp: TimestampInfo | None
    pades_level: str | None
    field_name: str | None = None
    chain: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return (
            self.intact
            and self.cryptographically_valid
            and self.trusted
            and self.revocation != "revoked"
            and self.modifications_allowed
        )


def format_vietnam_time(moment: datetime) -> str:
    local = moment.astimezone(VIETNAM_TZ)
    return local.strftime("%H:%M %d/%m/%Y")


def verdict(findings: SignatureFindings) -> str:
    """The one line a citizen or officer reads first."""
    if not findings.intact or not findings.cryptographically_valid:
        return "Chữ ký không hợp lệ: tài liệu đã bị sửa đổi sau khi ký."
    if not findings.modifications_allowed:
        return "Chữ ký không hợp lệ: tài liệu đã bị sửa đổi sau khi ký."
    if findings.revocation == "revoked":
        return "Chữ ký không hợp lệ: chứng thư số của người ký đã bị thu hồi."
    if not findings.trusted:
        return (
            "Chữ ký không hợp lệ: chứng thư số của người ký không được cấp bởi "
            "tổ chức cung cấp dịch vụ chứng thực chữ ký số tin cậy."
        )
    name = (findings.signer.common_name if findings.signer else None) or "không rõ"
    moment = findings.timestamp.time if findings.timestamp else findings.signing_time
    when = f" lúc {format_vietnam_time(moment)}" if moment else ""
    if findings.changed_after_signing:
        tail = (
            "tài liệu chỉ được bổ sung hợp lệ sau khi ký (thêm chữ ký hoặc dữ liệu "
            "kiểm tra), nội dung đã ký không bị thay đổi."
        )
    else:
        tail = "tài liệu không bị thay đổi sau khi ký."
    return f"Chữ ký hợp lệ: ký bởi {name.upper()}{when}, {tail}"


def pades_level_of(
    *, has_timestamp: bool, has_revocation_data: bool, has_doc_timestamp: bool
) -> str:
    """The PAdES baseline level a PAdES signature reaches from what it carries."""
    if not has_timestamp:
        return "B-B"
    if not has_revocation_data:
        return "B-T"
    if not has_doc_timestamp:
        return "B-LT"
    return "B-LTA"
