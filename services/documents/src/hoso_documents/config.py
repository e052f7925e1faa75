"""Settings of the documents service."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator
from pydantic_settings import SettingsConfigDict

from hoso_common.providers import PROVIDER_IDS
from hoso_common.settings import PlatformSettings, ReconcilerSettings

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: Any) -> Any:
    """Accept bytes or a size like '20MB' / '110m' (binary units, as nginx reads them)."""
    if isinstance(value, str):
        match = _SIZE.match(value)
        if not match:
            raise ValueError(f"not a size: {value!r}")
        return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    return value


ByteSize = Annotated[int, BeforeValidator(parse_size)]


class Settings(PlatformSettings, ReconcilerSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_DOCUMENTS_", extra="ignore")

    service_name: str = "documents"
    mongo_database: str = "hoso_documents"
    bucket: str = "hoso-documents"
    max_upload_bytes: ByteSize = Field(
        default=20 * 1024**2, ge=1, description="Largest file accepted, e.g. 20971520 or '20MB'."
    )
    draft_ttl_s: float = Field(
        default=24 * 3600, gt=0, description="Unsaved documents are removed after this long."
    )
    cleanup_interval_s: float = Field(
        default=300, gt=0, description="How often expired drafts and orphans are removed."
    )
    orphan_upload_age_s: float = Field(
        default=900,
        gt=0,
        description="An upload unfinished after this long is an orphan (its writer died).",
    )
    signing_url: str = Field(
        default="http://127.0.0.1:8080/api/signing",
        description="Base URL of the signing service (validation API).",
    )
    signing_timeout_s: float = Field(default=30, gt=0)
    signing_providers: list[str] = Field(
        default_factory=lambda: list(PROVIDER_IDS),
        description="Remote-signing provider ids a citizen may choose (hoso_common.providers).",
    )
    consumer_group: str = Field(
        default="documents", description="Kafka consumer group of the SignCompleted subscriber."
    )

    @field_validator("signing_providers")
    @classmethod
    def _known_providers(cls, value: list[str]) -> list[str]:
        unknown = [item for item in value if item not in PROVIDER_IDS]
        if unknown:
            raise ValueError(f"providers not in the catalogue: {unknown}")
        return value

    @property
    def draft_ttl(self) -> timedelta:
        return timedelta(seconds=self.draft_ttl_s)
