"""Settings of the eforms service."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from hoso_common.settings import PlatformSettings, ReconcilerSettings

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")


class Settings(PlatformSettings, ReconcilerSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_EFORMS_", extra="ignore")

    service_name: str = "eforms"
    mongo_database: str = "hoso_eforms"
    bucket: str = "hoso-eforms"
    address_catalogue_path: Path | None = Field(
        default=None,
        description="An administrative-unit catalogue in the service's own JSON shape "
        '({"complete", "provinces": [{"code", "name", "type", "communes": [{"code", "name", '
        '"type"}]}]}); when unset, the complete catalogue of the vietnam-provinces package.',
    )
    font_regular: Path = DEJAVU_DIR / "DejaVuSans.ttf"
    font_bold: Path = DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    font_italic: Path = DEJAVU_DIR / "DejaVuSans-Oblique.ttf"
    list_limit: int = Field(default=100, ge=1, le=500, description="Most forms one list returns.")
    submission_url: str = Field(
        default="http://127.0.0.1:8080/api/submission",
        description="Base URL of submission, whose procedure catalogue names each agency.",
    )
    upstream_timeout_s: float = Field(default=10.0, gt=0)
