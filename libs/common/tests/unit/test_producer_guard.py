"""The producer guard: a deadline on every publish, a new producer when the sender ended."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, OutOfOrderSequenceNumber
from faststream.kafka.publisher.state import RealProducer

from hoso_common.faults import is_transient
from hoso_common.producer_guard import ProducerGuard, ProducerRestarted


class FakeSender:
    def __init__(self) -> None:
        self.sender_task: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def end(self, error: BaseException) -> None:
        self.sender_task.set_exception(error)
        self.sender_task.exception()  # retrieved, as aiokafka's done callback does


class FakeProducer:
    def __init__(self, *, start_error: BaseException | None = None) -> None:
        self._sender = FakeSender()
        self.start_error = start_error
        self.started = self.stopped = False

    async def start(self) -> None:
        if self.start_error is not None:
            raise self.start_error
        self.started = True

    async def stop(self) -> None:
        self.stopped = True


class FakeBroker:
    """What the guard reads of faststream's KafkaBroker: config.producer._producer."""

    def __init__(self, producer: FakeProducer) -> None:
        self.config = type("Config", (), {})()
        self.config.producer = type("FastProducer", (), {})()
        self.config.producer._producer = RealProducer(producer)

    @property
    def current(self) -> Any:
        return self.config.producer._producer.producer


def guard_for(broker: FakeBroker, *fresh: FakeProducer, timeout_s: float = 5.0) -> ProducerGuard:
    made = list(fresh)
    guard = ProducerGuard(timeout_s, new_producer=lambda: made.pop(0))
    guard.broker = broker  # type: ignore[assignment]
    return guard


async def test_a_publish_that_is_never_acknowledged_fails_in_time_as_transient() -> None:
    guard = guard_for(FakeBroker(FakeProducer()), timeout_s=0.05)

    async def never(cmd: Any) -> None:
        await asyncio.Event().wait()

    with pytest.raises(KafkaTimeoutError) as caught:
        await asyncio.wait_for(guard.publish(never, object()), 2)
    assert is_transient(caught.value)


async def test_an_ended_sender_is_replaced_before_the_next_publish() -> None:
    old, fresh = FakeProducer(), FakeProducer()
    broker = FakeBroker(old)
    guard = guard_for(broker, fresh)
    old._sender.end(OutOfOrderSequenceNumber())
    sent: list[Any] = []

    async def send(cmd: Any) -> str:
        sent.append(broker.current)
        return "ok"

    assert await guard.publish(send, object()) == "ok"
    assert broker.current is fresh and fresh.started and old.stopped
    assert sent == [fresh] and guard.replaced == 1


async def test_a_sender_that_ends_during_a_publish_makes_it_fail_as_retriable() -> None:
    old, fresh = FakeProducer(), FakeProducer()
    broker = FakeBroker(old)
    guard = guard_for(broker, fresh)

    async def dies(cmd: Any) -> None:
        old._sender.end(OutOfOrderSequenceNumber())
        raise OutOfOrderSequenceNumber()

    with pytest.raises(ProducerRestarted) as caught:
        await guard.publish(dies, object())
    assert is_transient(caught.value) and broker.current is fresh


async def test_while_the_broker_is_away_the_old_producer_stays_and_it_is_tried_again() -> None:
    old = FakeProducer()
    broker = FakeBroker(old)
    away, later = FakeProducer(start_error=KafkaConnectionError("refused")), FakeProducer()
    guard = guard_for(broker, away, later)
    old._sender.end(OutOfOrderSequenceNumber())

    async def send(cmd: Any) -> str:
        return "ok"

    with pytest.raises(KafkaConnectionError) as caught:
        await guard.publish(send, object())
    assert is_transient(caught.value) and broker.current is old
    assert await guard.publish(send, object()) == "ok"
    assert broker.current is later


async def test_concurrent_publishes_replace_the_producer_once() -> None:
    old = FakeProducer()
    broker = FakeBroker(old)
    guard = guard_for(broker, FakeProducer(), FakeProducer())
    old._sender.end(OutOfOrderSequenceNumber())

    async def send(cmd: Any) -> str:
        return "ok"

    assert await asyncio.gather(*(guard.publish(send, i) for i in range(10))) == ["ok"] * 10
    assert guard.replaced == 1


async def test_a_producer_whose_sequences_the_broker_refuses_is_replaced() -> None:
    """After an unclean leader election every batch fails; the sender itself keeps running."""
    old, fresh = FakeProducer(), FakeProducer()
    broker = FakeBroker(old)
    guard = guard_for(broker, fresh)

    async def refused(cmd: Any) -> None:
        raise OutOfOrderSequenceNumber()

    with pytest.raises(ProducerRestarted) as caught:
        await guard.publish(refused, object())
    assert is_transient(caught.value)
    assert broker.current is fresh and old.stopped and guard.replaced == 1


async def test_publishes_refused_at_once_replace_the_producer_once() -> None:
    old = FakeProducer()
    broker = FakeBroker(old)
    guard = guard_for(broker, FakeProducer(), FakeProducer())

    async def refused(cmd: Any) -> None:
        if broker.current is old:
            await asyncio.sleep(0.01)
            raise OutOfOrderSequenceNumber()

    results = await asyncio.gather(
        *(guard.publish(refused, i) for i in range(10)), return_exceptions=True
    )
    assert all(isinstance(r, ProducerRestarted) for r in results)
    assert guard.replaced == 1
