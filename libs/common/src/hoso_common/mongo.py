"""MongoDB access through PyMongo's native async client (the successor of Motor)."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from hoso_common.settings import MongoSettings

Document = dict[str, Any]


def create_mongo_client(settings: MongoSettings, *, app_name: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongo_url.get_secret_value(),
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        # Every wait has a deadline: a server that stops answering mid-call fails the call
        # (a 503, or an event retried later) instead of holding it for ever.
        connectTimeoutMS=5000,
        socketTimeoutMS=30000,
        waitQueueTimeoutMS=10000,
        # FerretDB (the local stand-in) has no sessions for retryable writes.
        retryWrites=False,
    )


def database(
    client: AsyncMongoClient[Document], settings: MongoSettings
) -> AsyncDatabase[Document]:
    return client[settings.mongo_database]


async def ping(client: AsyncMongoClient[Document]) -> None:
    await client.admin.command("ping")
