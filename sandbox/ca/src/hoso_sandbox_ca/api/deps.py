"""FastAPI dependencies shared by the routers."""

from typing import Annotated

from fastapi import Depends, Request

from hoso_sandbox_ca.ca import SandboxCa


def get_ca(request: Request) -> SandboxCa:
    ca: SandboxCa = request.app.state.ca
    return ca


CaDep = Annotated[SandboxCa, Depends(get_ca)]
