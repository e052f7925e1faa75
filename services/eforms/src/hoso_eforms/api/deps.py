"""FastAPI dependencies of the eforms API."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from hoso_eforms.service import EformsService


def bound_router(service: EformsService, *routers: APIRouter) -> APIRouter:
    """One router whose every route sees `service` (the app's single service instance)."""

    def bind(request: Request) -> None:
        request.state.eforms = service

    bound = APIRouter(dependencies=[Depends(bind)])
    for router in routers:
        bound.include_router(router)
    return bound


def get_service(request: Request) -> EformsService:
    service: EformsService = request.state.eforms
    return service


def outbox_nudge(request: Request) -> Callable[[str], None]:
    nudge: Callable[[str], None] = request.app.state.outbox_relay.nudge
    return nudge


ServiceDep = Annotated[EformsService, Depends(get_service)]
NudgeDep = Annotated[Callable[[str], None], Depends(outbox_nudge)]
