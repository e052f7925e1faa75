"""Dependencies of the signing routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hoso_signing.config import Settings
from hoso_signing.runtime import SigningRuntime


def get_runtime(request: Request) -> SigningRuntime:
    runtime = request.app.state.signing
    assert isinstance(runtime, SigningRuntime)
    return runtime


def get_settings(request: Request) -> Settings:
    return get_runtime(request).settings


RuntimeDep = Annotated[SigningRuntime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
