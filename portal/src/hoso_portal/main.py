"""App factory of the citizen portal (the gateway's `/`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from faststream.kafka import KafkaBroker
from starlette.exceptions import HTTPException as StarletteHTTPException

from hoso_common.broker import create_broker
from hoso_common.log import configure_logging
from hoso_common.mongo import create_mongo_client, database
from hoso_portal.clients.documents import DocumentsClient
from hoso_portal.clients.eforms import EformsClient
from hoso_portal.clients.notifications import NotificationsClient
from hoso_portal.clients.signing import SigningClient
from hoso_portal.clients.submission import SubmissionClient
from hoso_portal.config import Settings
from hoso_portal.deps import Portal
from hoso_portal.errors import ApiProblem, LoginRequired, NotAllowed, PageNotFound, PortalError
from hoso_portal.live import LiveHub, NoticeFeed, register_subscribers
from hoso_portal.oidc import OidcClient
from hoso_portal.pages import build_templates, render
from hoso_portal.routes import (
    auth,
    console,
    dossiers,
    eforms,
    frame,
    notices,
    procedures,
    results,
    statistics,
    vault,
)
from hoso_portal.sessions import MongoSessionStore

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"

# No inline script or style anywhere: every script and stylesheet is a file of this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'{idp}"
)


def _error_page(request: Request, error: PortalError) -> Response:
    return render(
        request,
        "error.html",
        {"title": error.title, "detail": error.detail, "status": error.status},
        status_code=error.status,
    )


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = "/login?next=" + quote(exc.next_url, safe="/")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PortalError)
    async def _portal_error(request: Request, exc: PortalError) -> Response:
        return _error_page(request, exc)

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> Response:
        error = PortalError(exc.detail)
        error.status = exc.status if 400 <= exc.status < 500 else 500
        error.title = "Không thực hiện được yêu cầu"
        return _error_page(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 403:
            return _error_page(request, NotAllowed())
        if exc.status_code == 404:
            return _error_page(request, PageNotFound())
        error = PortalError()
        error.status = exc.status_code
        error.title = "Yêu cầu không hợp lệ"
        error.detail = "Trang không hỗ trợ thao tác này."
        return _error_page(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_page(request, PortalError())


async def _start_broker(broker: KafkaBroker) -> None:
    """Pages work without Kafka: the live notices start once it answers."""
    delay = 1.0
    while True:
        try:
            await broker.start()
        except Exception as error:
            logger.warning("kafka not reachable, live notices wait: %r", error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
            continue
        logger.info("live notices consuming")
        return


def create_app(settings: Settings | None = None, portal: Portal | None = None) -> FastAPI:
    settings = settings or (portal.settings if portal else Settings())
    configure_logging("portal", settings.log_level)
    mongo: Any = None
    store: MongoSessionStore | None = None
    http: httpx.AsyncClient | None = None
    broker: KafkaBroker | None = None
    templates = build_templates()
    if portal is None:
        mongo = create_mongo_client(settings, app_name="hoso-portal")
        store = MongoSessionStore(database(mongo, settings))
        http = httpx.AsyncClient(timeout=settings.api_timeout_s)
        portal = Portal(
            settings=settings,
            store=store,
            idp=OidcClient(settings),
            documents=DocumentsClient(settings.documents_url, http),
            signing=SigningClient(settings.signing_url, http),
            eforms=EformsClient(settings.eforms_url, http),
            submission=SubmissionClient(settings.submission_url, http),
            notices=NotificationsClient(settings.notifications_url, http),
            hub=LiveHub(),
        )
        broker = create_broker(settings, client_id="hoso-portal")
        feed = NoticeFeed(portal.hub, lambda unread: notices.badge_html(templates, unread))
        register_subscribers(broker, feed, live_group=settings.live_group)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        background: list[asyncio.Task[None]] = []
        if store is not None:
            await store.create_indexes()
            if settings.session_purge_interval_s:
                background.append(
                    asyncio.create_task(store.purge_forever(settings.session_purge_interval_s))
                )
        if broker is not None:
            background.append(asyncio.create_task(_start_broker(broker)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            if broker is not None:
                await broker.stop()
            if http is not None:
                await http.aclose()
            if mongo is not None:
                await mongo.close()

    app = FastAPI(
        title="Cổng dịch vụ công — portal",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.portal = portal
    app.state.templates = templates
    idp_origin: list[str] = []

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if not idp_origin:
            # the IdP may be down: its pages say so, and the next response tries again
            with contextlib.suppress(PortalError):
                idp_origin.append(await portal.idp.origin())
        extra = "".join(f" {origin}" for origin in idp_origin if origin)
        # A route may set a stricter policy of its own (the console's inline PDF).
        if "content-security-policy" not in response.headers:
            response.headers["Content-Security-Policy"] = CSP.format(idp=extra)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if "x-frame-options" not in response.headers:
            response.headers["X-Frame-Options"] = "DENY"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Cache-Control"] = "no-store"
        return response

    install_handlers(app)
    app.include_router(auth.router)
    app.include_router(frame.router)
    app.include_router(vault.router)
    app.include_router(notices.router)
    app.include_router(procedures.router)
    app.include_router(dossiers.router)
    app.include_router(eforms.router)
    app.include_router(statistics.router)
    app.include_router(results.router)
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
