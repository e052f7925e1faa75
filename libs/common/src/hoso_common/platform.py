"""The clients one service process holds: broker, database, object store, token verifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hoso_common.auth import TokenVerifier
from hoso_common.broker import create_broker
from hoso_common.mongo import create_mongo_client, database
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

    @classmethod
    def create(cls, name: str, settings: PlatformSettings) -> Platform:
        provider = tracer_provider(name)
        mongo = create_mongo_client(settings, app_name=name)
        return cls(
            name=name,
            settings=settings,
            broker=create_broker(settings, client_id=name, tracer_provider=provider),
            mongo=mongo,
            db=database(mongo, settings),
            storage=ObjectStorage(settings),
            verifier=TokenVerifier(settings),
            tracer_provider=provider,
        )

    @property
    def source(self) -> str:
        """CloudEvents `source` of the events this service emits."""
        return f"/hoso/{self.name}"
