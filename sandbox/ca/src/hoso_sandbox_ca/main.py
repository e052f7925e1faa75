"""Sandbox CA app factory: `uvicorn --factory hoso_sandbox_ca.main:create_app --port 8091`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from hoso_common.auth import TokenVerifier
from hoso_common.errors import install_error_handlers
from hoso_common.health import health_router
from hoso_common.log import configure_logging
from hoso_sandbox_ca.api import fpt, phone, pki, sandbox, viettel, vnpt
from hoso_sandbox_ca.ca import SandboxCa
from hoso_sandbox_ca.config import Settings
from hoso_sandbox_ca.phone_login import PhoneLogin

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("ca", settings.log_level)
    ca = SandboxCa.open(settings)
    verifier = TokenVerifier(settings)
    phone_login = PhoneLogin(settings, verifier)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        interval = min(settings.sweep_interval_s, max(settings.request_ttl_s / 4, 0.05))
        sweeper = asyncio.create_task(
            ca.desk.sweep_forever(interval, settings.finished_retention_s)
        )
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await ca.notifier.drain(timeout_s=5)
            await ca.notifier.aclose()
            await phone_login.aclose()

    app = FastAPI(
        title="hoso sandbox CA",
        description="Stand-in for remote-signing CAs (VNPT SmartCA, Viettel MySign, FPT.eSign) "
        "with a "
        "phone approval page, OCSP, CRL and an RFC 3161 TSA. Local and test use only.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.state.ca = ca
    app.state.token_verifier = verifier
    app.state.phone_login = phone_login
    for router in (
        vnpt.router,
        viettel.router,
        fpt.router,
        phone.router,
        pki.router,
        sandbox.router,
    ):
        app.include_router(router)
    app.include_router(health_router({}))
    return app
