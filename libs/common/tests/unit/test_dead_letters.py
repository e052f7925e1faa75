from typing import Any

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from hoso_common.broker import DeadLetterPolicy


class RecordingBroker:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, message: bytes, **kwargs: Any) -> None:
        self.published.append({"message": message, **kwargs})


def record(offset: int = 7) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="hoso.signing.requested",
        partition=1,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b'{"broken": true}',
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=16,
        headers=[("ce_id", b"e-1")],
    )


async def test_retries_then_dead_letters_after_the_bound() -> None:
    broker = RecordingBroker()
    policy = DeadLetterPolicy(max_attempts=3, backoff_s=0)
    policy.broker = broker  # type: ignore[assignment]
    error = RuntimeError("database down")
    assert await policy.handle_failure(record(), error) is False
    assert await policy.handle_failure(record(), error) is False
    assert broker.published == []
    assert await policy.handle_failure(record(), error) is True
    [dead] = broker.published
    assert dead["topic"] == "hoso.signing.requested.dlt"
    assert dead["message"] == b'{"broken": true}'
    assert dead["headers"]["x-dlt-attempts"] == "3"
    assert dead["headers"]["ce_id"] == "e-1"


async def test_malformed_messages_go_to_dead_letters_at_once() -> None:
    broker = RecordingBroker()
    policy = DeadLetterPolicy(max_attempts=5, backoff_s=0)
    policy.broker = broker  # type: ignore[assignment]
    try:
        from pydantic import BaseModel

        class Strict(BaseModel):
            n: int

        Strict.model_validate({"n": "x"})
    except ValidationError as error:
        assert await policy.handle_failure(record(), error) is True
    assert len(broker.published) == 1


async def test_success_forgets_earlier_failures() -> None:
    broker = RecordingBroker()
    policy = DeadLetterPolicy(max_attempts=2, backoff_s=0)
    policy.broker = broker  # type: ignore[assignment]
    assert await policy.handle_failure(record(1), RuntimeError()) is False
    policy.forget(record(1))
    assert await policy.handle_failure(record(1), RuntimeError()) is False
    assert broker.published == []


async def test_an_unavailable_database_is_retried_past_the_bound_and_never_dead_lettered() -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    broker = RecordingBroker()
    policy = DeadLetterPolicy(max_attempts=2, backoff_s=0, max_backoff_s=0)
    policy.broker = broker  # type: ignore[assignment]
    for _ in range(20):
        error = ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")
        assert await policy.handle_failure(record(), error) is False
    assert broker.published == []


async def test_an_outage_translated_by_the_code_is_still_an_outage() -> None:
    from minio.error import S3Error

    from hoso_common.storage import StorageUnavailable

    broker = RecordingBroker()
    policy = DeadLetterPolicy(max_attempts=1, backoff_s=0, max_backoff_s=0)
    policy.broker = broker  # type: ignore[assignment]
    cause = S3Error(None, "SlowDown", "busy", "r", "h", None)  # type: ignore[arg-type]
    try:
        try:
            raise cause
        except S3Error as error:
            raise RuntimeError("could not copy the signed file") from error
    except RuntimeError as wrapped:
        assert await policy.handle_failure(record(), wrapped) is False
    assert await policy.handle_failure(record(), StorageUnavailable()) is False
    assert broker.published == []


async def test_a_failure_that_can_never_succeed_still_ends_in_the_dead_letter_topic() -> None:
    from minio.error import S3Error

    broker = RecordingBroker()
    policy = DeadLetterPolicy(max_attempts=2, backoff_s=0, max_backoff_s=0)
    policy.broker = broker  # type: ignore[assignment]
    denied = S3Error(None, "AccessDenied", "no", "r", "h", None)  # type: ignore[arg-type]
    assert await policy.handle_failure(record(), denied) is False
    assert await policy.handle_failure(record(), denied) is True
    assert len(broker.published) == 1
