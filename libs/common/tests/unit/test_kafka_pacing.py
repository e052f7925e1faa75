"""A failed metadata update waits the client's retry backoff: no tight loop without a broker."""

import socket
import time

from aiokafka.client import AIOKafkaClient

from hoso_common.kafka_pacing import pace_failed_metadata_updates


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_failed_update_answers_only_after_the_backoff() -> None:
    pace_failed_metadata_updates()
    pace_failed_metadata_updates()  # a second install wraps nothing twice
    client = AIOKafkaClient(bootstrap_servers=f"127.0.0.1:{closed_port()}", retry_backoff_ms=300)
    try:
        began = time.monotonic()
        updated = await client._metadata_update(client.cluster, [])
        took = time.monotonic() - began
    finally:
        await client.close()
    assert updated is False
    assert 0.3 <= took < 0.6, took
