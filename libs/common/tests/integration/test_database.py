"""The MongoDB-wire server enforces unique indexes and conditional updates."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
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


FILTERS_AND_MATCHES: list[tuple[dict[str, Any], list[str]]] = [
    ({"s": "x"}, ["a", "b"]),  # equality also matches an array element
    ({"s": {"$in": ["y"]}}, ["b", "c"]),
    ({"s": "Tiếng Việt <b>&"}, ["e"]),
    ({"tags": "q"}, ["a"]),
    ({"s": None}, ["d"]),  # missing field
    ({"n": 5}, ["e"]),
    ({"t": {"$lt": datetime(2026, 1, 1, 1, tzinfo=UTC)}}, ["a"]),
    ({"t": {"$gte": datetime(2026, 1, 2, tzinfo=UTC)}}, ["b", "c"]),  # array of dates
    (
        {"t": {"$gt": datetime(2026, 1, 1, tzinfo=UTC), "$lte": datetime(2026, 1, 2, tzinfo=UTC)}},
        ["c"],
    ),
    ({"_id": {"$in": ["a", "d", "zz"]}}, ["a", "d"]),
    ({"box": {"$ne": []}}, ["a", "b", "d", "e"]),  # missing or not empty
    ({"box": {"$ne": []}, "box.0": {"$exists": True}}, ["a", "b"]),
    ({"_id": "a", "s": "y"}, []),
    ({"_id": "b", "s": "y"}, ["b"]),
    ({"s": "x", "t": {"$lt": datetime(2026, 1, 11, tzinfo=UTC)}}, ["a", "b"]),
]


async def test_filters_match_what_mongodb_matches(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    """The local stack's FerretDB narrows scans in SQLite; results must stay MongoDB's."""
    collection = mongo_client["hoso_test"][f"filters_{uuid.uuid4().hex[:8]}"]
    day = datetime(2026, 1, 1, tzinfo=UTC)
    await collection.insert_many(
        [
            {"_id": "a", "s": "x", "t": day, "tags": ["p", "q"], "box": [{"id": 1}]},
            {"_id": "b", "s": ["x", "y"], "t": [day + timedelta(days=5)], "box": [{}]},
            {"_id": "c", "s": "y", "t": day + timedelta(days=1), "box": []},
            {"_id": "d"},
            {"_id": "e", "s": "Tiếng Việt <b>&", "t": "not a date", "n": 5},
        ]
    )
    for query, expected in FILTERS_AND_MATCHES:
        found = sorted(doc["_id"] for doc in await collection.find(query).to_list())
        assert found == expected, query
    updated = await collection.update_one({"_id": "c", "s": "y"}, {"$set": {"z": 1}})
    assert updated.matched_count == 1
    assert await collection.find_one_and_update({"_id": "c", "s": "x"}, {"$set": {"z": 2}}) is None
    assert (await collection.delete_one({"_id": "d"})).deleted_count == 1
    assert sorted(doc["_id"] for doc in await collection.find({}).to_list()) == ["a", "b", "c", "e"]
    await collection.drop()


async def test_every_accumulator_of_a_group_sums_the_whole_group(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    collection = mongo_client["hoso_test"][f"group_{uuid.uuid4().hex[:8]}"]
    await collection.insert_many(
        [{"g": "x", "a": 1, "b": 10}, {"g": "x", "a": 2, "b": 20}, {"g": "y", "a": 4}]
    )
    cursor = await collection.aggregate(
        [
            {
                "$group": {
                    "_id": {"group": "$g"},
                    "a": {"$sum": "$a"},
                    "b": {"$sum": "$b"},
                    "n": {"$sum": 1},
                }
            }
        ]
    )
    sums = {doc["_id"]["group"]: (doc["a"], doc["b"], doc["n"]) async for doc in cursor}
    assert sums == {"x": (3, 30, 2), "y": (4, 0, 1)}
    await collection.drop()
