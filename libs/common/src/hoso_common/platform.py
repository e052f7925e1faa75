"""The clients one service process holds: broker, database, object store, outbox relay, verifier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hoso_common.auth import TokenVerifier
from hoso_common.broker import create_broker
from hoso_common.mongo import create_mongo_client, database
from hoso_common.outbox import OutboxRelay
from hoso_common.settings import PlatformSettings
from hoso_common.storage import ObjectStorage
from hoso_common.telemetry import tracer_provider


@dataclass
class Platform:
    name: str
    settings: PlatformSettings
    broker: KafkaBroker
    mongo: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    storage: ObjectStorage
    verifier: TokenVerifier
    tracer_provider: TracerProvider
    outbox: OutboxRelay

    @classmethod
    def create(
        cls, name: str, settings: PlatformSettings, *, outbox_collections: Sequence[str] = ()
    ) -> Platform:
        """The clients of service `name`; its relay drains the outboxes of `outbox_collections`.

        The relay is built here, with the broker and the database, so the service's use cases
        can be given its `nudge` when they are built; `create_service_app` starts and stops it.
        """
        provider = tracer_provider(name)
        mongo = create_mongo_client(settings, app_name=name)
        broker = create_broker(settings, client_id=name, tracer_provider=provider)
        db = database(mongo, settings)
        return cls(
            name=name,
            settings=settings,
            broker=broker,
            mongo=mongo,
            db=db,
            storage=ObjectStorage(settings),
            verifier=TokenVerifier(settings),
            tracer_provider=provider,
            outbox=OutboxRelay(
                broker,
                [db[collection] for collection in outbox_collections],
                prefilter_empty=settings.mongo_outbox_prefilter,
            ),
        )

    @property
    def source(self) -> str:
        """CloudEvents `source` of the events this service emits."""
        return f"/hoso/{self.name}"
