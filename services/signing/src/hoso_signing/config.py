"""Settings of the signing service."""

from pydantic_settings import SettingsConfigDict

from hoso_common.settings import PlatformSettings


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_SIGNING_", extra="ignore")

    service_name: str = "signing"
    mongo_database: str = "hoso_signing"
    bucket: str = "hoso-signing"
