"""Dependencies of the submission routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hoso_common.app import use_case_dependency
from hoso_common.errors import Unauthorized
from hoso_submission.service import DossierService
from hoso_submission.statistics import StatisticsService

_bearer = HTTPBearer(auto_error=False)


def access_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's own token, forwarded when this service calls another one for them."""
    if credentials is None:
        raise Unauthorized()
    return credentials.credentials


Service = Annotated[DossierService, Depends(use_case_dependency(DossierService))]
Statistics = Annotated[StatisticsService, Depends(use_case_dependency(StatisticsService))]
AccessToken = Annotated[str, Depends(access_token)]
