"""The remote-signing providers a citizen may choose: one catalogue of ids and display names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProviderId = Literal["vnpt-smartca", "viettel-mysign", "fpt-esign"]


@dataclass(frozen=True)
class SigningProvider:
    """A CA offering remote signing, as the citizen sees it under "Đơn vị ký số"."""

    id: ProviderId
    display_name: str


# The seed's step 4 names them "VNPT-CA, Viettel-CA or FPT-CA". Every service, page and
# document reads the names from here, so a name is changed once.
PROVIDERS: tuple[SigningProvider, ...] = (
    SigningProvider("vnpt-smartca", "VNPT-CA (SmartCA)"),
    SigningProvider("viettel-mysign", "Viettel-CA (MySign)"),
    SigningProvider("fpt-esign", "FPT-CA"),
)
PROVIDER_IDS: tuple[str, ...] = tuple(entry.id for entry in PROVIDERS)
_NAMES: dict[str, str] = {entry.id: entry.display_name for entry in PROVIDERS}


def display_name(provider_id: str) -> str:
    """The name shown everywhere for this provider (the id itself if unknown)."""
    return _NAMES.get(provider_id, provider_id)
