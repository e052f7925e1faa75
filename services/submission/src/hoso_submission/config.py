"""Settings of the submission service."""

from pydantic_settings import SettingsConfigDict

from hoso_common.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_SUBMISSION_", extra="ignore")

    service_name: str = "submission"
    mongo_database: str = "hoso_submission"
    bucket: str = "hoso-submission"
