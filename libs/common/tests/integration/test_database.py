"""The MongoDB-wire server enforces unique indexes and conditional updates."""

import asyncio
import uuid
from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.integration


async def test_duplicate_insert_on_a_unique_index_is_rejected(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    collection = mongo_client["hoso_test"][f"unique_{uuid.uuid4().hex[:8]}"]
    await collection.create_index("receipt_code", unique=True)
    await collection.insert_one({"receipt_code": "STP-HNI-261126-000001"})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"receipt_code": "STP-HNI-261126-000001"})
    assert await collection.count_documents({}) == 1
    await collection.drop()


async def test_exactly_one_of_two_concurrent_conditional_writers_wins(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    collection = mongo_client["hoso_test"][f"race_{uuid.uuid4().hex[:8]}"]
    request_id = str(uuid.uuid4())
    await collection.insert_one({"_id": request_id, "state": "approved"})

    async def finish(replica: str) -> dict[str, Any] | None:
        return await collection.find_one_and_update(
            {"_id": request_id, "state": "approved"},
            {"$set": {"state": "completed", "finished_by": replica}},
            return_document=ReturnDocument.AFTER,
        )

    results = await asyncio.gather(*(finish(f"replica-{i}") for i in range(2)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    stored = await collection.find_one({"_id": request_id})
    assert stored is not None
    assert stored["finished_by"] == winners[0]["finished_by"]
    await collection.drop()
