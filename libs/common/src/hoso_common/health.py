"""Liveness and readiness endpoints; readiness names the dependency that fails."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[None]]


class DependencyMissing(Exception):
    """A dependency answers but lacks something; its message is shown in the readiness body."""


def health_router(checks: dict[str, Check], timeout_s: float = 3.0) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live")
    async def live() -> dict[str, str]:
        """The process is running."""
        return {"status": "ok"}

    @router.get("/ready", responses={503: {"description": "A dependency is unavailable."}})
    async def ready() -> JSONResponse:
        """Broker, database and object store all answer."""

        async def run(check: Check) -> str:
            try:
                await asyncio.wait_for(check(), timeout=timeout_s)
            except DependencyMissing as error:
                return f"fail: {error}"
            except Exception as error:
                return f"fail: {type(error).__name__}"
            return "ok"

        results = dict(
            zip(checks, await asyncio.gather(*(run(c) for c in checks.values())), strict=True)
        )
        failing = [name for name, result in results.items() if result != "ok"]
        body: dict[str, object] = {
            "status": "unavailable" if failing else "ok",
            "checks": results,
        }
        if failing:
            body["failing"] = failing
        return JSONResponse(body, status_code=503 if failing else 200)

    return router
