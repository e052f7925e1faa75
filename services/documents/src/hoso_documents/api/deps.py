"""Dependencies of the documents routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hoso_common.app import use_case_dependency
from hoso_documents.config import Settings
from hoso_documents.service import Vault

VaultDep = Annotated[Vault, Depends(use_case_dependency(Vault))]


def get_settings(vault: VaultDep) -> Settings:
    """The settings the vault was built with (limits, draft lifetime, providers)."""
    return vault.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
