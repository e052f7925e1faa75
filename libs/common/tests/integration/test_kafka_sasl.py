"""Kafka through SASL/SCRAM-SHA-512: the same settings production uses, on the stack's
second listener. The right credentials publish, consume and manage topics; wrong ones are
refused by the broker."""

import asyncio
import logging
import os
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import SecretStr

from hoso_common import topics
from hoso_common.broker import create_broker, subscriber
from hoso_common.kafka_security import client_options
from hoso_common.settings import KafkaSettings
from hoso_testing.endpoints import Endpoints

pytestmark = pytest.mark.integration

SASL_BOOTSTRAP = os.environ.get("HOSO_TEST_KAFKA_SASL_BOOTSTRAP", "127.0.0.1:9094")
SASL_USERNAME = os.environ.get("HOSO_TEST_KAFKA_SASL_USERNAME", "hoso-local")
SASL_PASSWORD = os.environ.get("HOSO_TEST_KAFKA_SASL_PASSWORD", "hoso-local-secret")


def sasl_settings(password: str = SASL_PASSWORD) -> KafkaSettings:
    return KafkaSettings(
        kafka_bootstrap_servers=SASL_BOOTSTRAP,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username=SASL_USERNAME,
        kafka_sasl_password=SecretStr(password),
    )


async def test_right_credentials_create_topics_publish_and_consume(endpoints: Endpoints) -> None:
    settings = sasl_settings()
    topic = f"hoso.test.sasl.{uuid.uuid4().hex[:8]}"
    report = await topics.ensure(settings, [topic])
    assert any(line.startswith(f"made   {topic} ") for line in report)
    assert await topics.missing(settings, [topic]) == []

    producer = create_broker(settings, client_id="sasl-test-producer")
    consumer = create_broker(settings, client_id="sasl-test-consumer")
    received: list[dict[str, str]] = []

    @subscriber(consumer, topic, group_id=f"sasl-{uuid.uuid4().hex[:8]}")
    async def handle(body: dict[str, str]) -> None:
        received.append(body)

    await producer.start()
    await consumer.start()
    try:
        await producer.publish({"hello": "xin chào"}, topic=topic)
        async with asyncio.timeout(30):
            while not received:
                await asyncio.sleep(0.05)
    finally:
        await consumer.stop()
        await producer.stop()
    assert received == [{"hello": "xin chào"}]


async def test_wrong_password_is_refused(
    endpoints: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    producer = AIOKafkaProducer(
        client_id="sasl-test-intruder",
        request_timeout_ms=5000,
        **client_options(sasl_settings(password="not-the-password")),
    )
    with caplog.at_level(logging.ERROR, logger="aiokafka"), pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    # The broker answered, and what it said is that the credentials are wrong.
    assert "SaslAuthenticationFailed" in caplog.text


async def test_plaintext_client_gets_nothing_from_the_sasl_listener(endpoints: Endpoints) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=SASL_BOOTSTRAP)
    producer = AIOKafkaProducer(request_timeout_ms=5000, **client_options(settings))
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()
