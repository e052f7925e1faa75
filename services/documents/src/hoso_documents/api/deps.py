"""Dependencies of the documents routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hoso_common.app import use_case_dependency
from hoso_documents.config import Settings
from hoso_documents.signing_client import SignatureValidationClient
from hoso_documents.vault import Vault


def get_settings(request: Request) -> Settings:
    settings = request.app.state.platform.settings
    assert isinstance(settings, Settings)
    return settings


def get_validation_client(request: Request) -> SignatureValidationClient:
    settings = get_settings(request)
    return SignatureValidationClient(
        settings.signing_url,
        settings.signing_timeout_s,
        capability_secret=settings.object_capability_secret.get_secret_value(),
        capability_ttl_s=settings.object_capability_ttl_s,
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
VaultDep = Annotated[Vault, Depends(use_case_dependency(Vault))]
ValidationClientDep = Annotated[SignatureValidationClient, Depends(get_validation_client)]
