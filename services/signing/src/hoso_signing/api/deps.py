"""Dependencies of the signing routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hoso_common.app import use_case_dependency
from hoso_signing.config import Settings
from hoso_signing.service import SigningService


def get_settings(request: Request) -> Settings:
    settings = request.app.state.platform.settings
    assert isinstance(settings, Settings)
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
SigningDep = Annotated[SigningService, Depends(use_case_dependency(SigningService))]
