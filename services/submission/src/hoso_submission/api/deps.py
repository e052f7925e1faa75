"""Dependencies of the submission routes."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hoso_common.errors import Unauthorized
from hoso_submission.repository import ProcedureRepository
from hoso_submission.service import DossierService
from hoso_submission.statistics import StatisticsService

_bearer = HTTPBearer(auto_error=False)


def dossier_service(request: Request) -> DossierService:
    service: DossierService | None = request.app.state.platform.dossier_service
    assert service is not None, "create_app sets the dossier service"
    # Writes nudge the outbox relay of the app serving this request.
    return dataclasses.replace(service, nudge=request.app.state.outbox_relay.nudge)


def statistics_service(request: Request) -> StatisticsService:
    service: StatisticsService | None = request.app.state.platform.statistics
    assert service is not None, "create_app sets the statistics service"
    return service


def procedure_repository(request: Request) -> ProcedureRepository:
    return dossier_service(request).procedures


def access_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's own token, forwarded when this service calls another one for them."""
    if credentials is None:
        raise Unauthorized()
    return credentials.credentials


Service = Annotated[DossierService, Depends(dossier_service)]
Statistics = Annotated[StatisticsService, Depends(statistics_service)]
Procedures = Annotated[ProcedureRepository, Depends(procedure_repository)]
AccessToken = Annotated[str, Depends(access_token)]
