"""Dependencies of the signing routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hoso_common.app import use_case_dependency
from hoso_signing.config import Settings
from hoso_signing.runtime import SigningRuntime

get_runtime = use_case_dependency(SigningRuntime)


def get_settings(request: Request) -> Settings:
    return get_runtime(request).settings


RuntimeDep = Annotated[SigningRuntime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
