"""Settings of the submission service."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from hoso_common.settings import PlatformSettings, ReconcilerSettings


class Settings(PlatformSettings, ReconcilerSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_SUBMISSION_", extra="ignore")

    service_name: str = "submission"
    mongo_database: str = "hoso_submission"
    bucket: str = "hoso-submission"
    documents_url: str = Field(
        default="http://127.0.0.1:8080/api/documents",
        description="Base URL of the documents service (the citizen's vault).",
    )
    eforms_url: str = Field(
        default="http://127.0.0.1:8080/api/eforms", description="Base URL of the eforms service."
    )
    signing_url: str = Field(
        default="http://127.0.0.1:8080/api/signing",
        description="Base URL of the signing service (signature validation).",
    )
    upstream_timeout_s: float = Field(
        default=30.0, gt=0, description="Timeout of one call to another hoso service."
    )
    statistics_group: str = Field(
        default="submission-statistics",
        description="Kafka consumer group that keeps the statistics' counters.",
    )
    seed_catalogue: bool = Field(
        default=True, description="Write the seeded procedures at start-up."
    )
    result_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        gt=0,
        description="Largest result document (kết quả giải quyết) an officer may upload.",
    )
    consumer_group: str = Field(
        default="submission", description="Kafka consumer group of the SignCompleted subscriber."
    )
    holidays_file: Path | None = Field(
        default=None,
        description=(
            "JSON list of public holidays for due dates; the list shipped with the service "
            "(Viet Nam, 2026 and 2027) when unset."
        ),
    )
