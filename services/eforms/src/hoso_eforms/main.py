"""App factory of the eforms service."""

from faststream_fastapi import FastStreamAPI

from hoso_common.app import create_service_app
from hoso_common.broker import publish_envelope
from hoso_common.events import SignStatusQueried, new_envelope
from hoso_common.platform import Platform
from hoso_common.reconciler import SignReconciler, reconciler_router
from hoso_eforms.api.routes import catalogue_router, forms_router, templates_router
from hoso_eforms.config import Settings
from hoso_eforms.domain.catalogue import AddressCatalogue
from hoso_eforms.domain.rendering import FontSet, FormRenderer
from hoso_eforms.events import register_subscribers
from hoso_eforms.procedures import ProcedureDirectory
from hoso_eforms.repository import FORMS, FormRepository, TemplateRepository
from hoso_eforms.service import EformsService
from hoso_eforms.storage import FormFiles


def create_app(settings: Settings | None = None) -> FastStreamAPI:
    settings = settings or Settings()
    platform = Platform.create("eforms", settings, outbox_collections=[FORMS])
    catalogue = AddressCatalogue.load(settings.address_catalogue_path)
    forms = FormRepository(platform.db, source=platform.source)
    service = EformsService(
        templates=TemplateRepository(platform.db),
        forms=forms,
        files=FormFiles(platform.storage, settings.bucket),
        catalogue=catalogue,
        renderer=FormRenderer(
            FontSet(settings.font_regular, settings.font_bold, settings.font_italic), catalogue
        ),
        list_limit=settings.list_limit,
        procedures=ProcedureDirectory(settings.submission_url, settings.upstream_timeout_s),
        nudge=platform.outbox.nudge,
    )

    async def ask(query: SignStatusQueried) -> None:
        await publish_envelope(platform.broker, new_envelope(query, source=platform.source))

    reconciler = SignReconciler(
        source="eforms",
        find_waiting=forms.waiting_on_signing,
        ask=ask,
        wait_s=settings.signing_approval_lifetime_s + settings.reconcile_margin_s,
        interval_s=settings.reconcile_interval_s,
    )
    register_subscribers(platform.broker, service, reconciler)

    async def start_reconciler() -> None:
        reconciler.start()

    return create_service_app(
        platform,
        title="Biểu mẫu điện tử — eforms",
        description="E-form templates per procedure, filled instances, PDF rendering and signing.",
        use_cases=[service],
        routers=[templates_router, catalogue_router, forms_router, reconciler_router(reconciler)],
        buckets=[settings.bucket],
        on_startup=[service.seed, start_reconciler],
        on_shutdown=[reconciler.stop],
    )
