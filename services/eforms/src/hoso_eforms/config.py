"""Settings of the eforms service."""

from pydantic_settings import SettingsConfigDict

from hoso_common.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_EFORMS_", extra="ignore")

    service_name: str = "eforms"
    mongo_database: str = "hoso_eforms"
    bucket: str = "hoso-eforms"
