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
