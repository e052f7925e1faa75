"""The topics command against the real Kafka: it creates from the definition, is
idempotent, and a service's readiness names the topics that are missing."""

import asyncio
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hoso_common import topics
from hoso_common.app import TopicsCheck
from hoso_common.health import health_router
from hoso_common.settings import KafkaSettings
from hoso_testing.endpoints import Endpoints

pytestmark = pytest.mark.integration


async def test_readiness_reports_missing_topics_until_they_are_made(endpoints: Endpoints) -> None:
    settings = KafkaSettings(kafka_partitions=3, kafka_create_topics=False)
    topic = f"hoso.test.absent.{uuid.uuid4().hex[:8]}"
    check = TopicsCheck(settings, [topic])
    app = FastAPI()
    app.include_router(health_router({"topics": check}, timeout_s=20.0))

    with TestClient(app) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["topics"] == (
        f"fail: missing topics: {topic}, {topics.dead_letter(topic)}"
    )

    first = await topics.ensure(settings, [topic])
    assert sorted(first) == sorted(
        f"made   {name} (3 partitions, replication 1, min.insync.replicas 1)"
        for name in (topic, topics.dead_letter(topic))
    )
    with TestClient(app) as client:
        assert client.get("/health/ready").json()["checks"]["topics"] == "ok"

    grown = KafkaSettings(kafka_partitions=4)
    second = await topics.ensure(grown, [topic])
    assert f"grew   {topic}: 3 -> 4" in second
    # Idempotent: once the broker's metadata has caught up, nothing is left to do.
    settled = [
        f"exists {topic} (4 partitions)",
        f"exists {topics.dead_letter(topic)} (4 partitions)",
    ]
    async with asyncio.timeout(20):
        while await topics.ensure(grown, [topic]) != settled:
            await asyncio.sleep(0.5)


async def test_a_replication_factor_the_cluster_cannot_meet_is_an_error(
    endpoints: Endpoints,
) -> None:
    topic = f"hoso.test.rf.{uuid.uuid4().hex[:8]}"
    await topics.ensure(KafkaSettings(), [topic])
    # The topic exists with one replica; a definition asking for three must not pass as
    # "exists" (acks=all with min.insync.replicas 2 would then fail every write).
    three = KafkaSettings(kafka_replication_factor=3, kafka_min_insync_replicas=2)
    with pytest.raises(topics.TopicError, match=r"fewer replicas.*1 < 3"):
        await topics.ensure(three, [topic])
