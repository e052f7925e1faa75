"""Settings of the documents service."""

from pydantic_settings import SettingsConfigDict

from hoso_common.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_DOCUMENTS_", extra="ignore")

    service_name: str = "documents"
    mongo_database: str = "hoso_documents"
    bucket: str = "hoso-documents"
