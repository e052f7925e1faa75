"""What a replayed dead letter carries back to its topic."""

from aiokafka import ConsumerRecord

from hoso_common.dead_letters import original_topic, replay_headers


def dead_letter(headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="hoso.signing.completed.dlt",
        partition=2,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"doc-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=5,
        serialized_value_size=2,
        headers=headers,
    )


def test_a_replay_goes_back_to_the_original_topic_with_the_original_headers() -> None:
    record = dead_letter(
        [
            ("ce_id", b"e-1"),
            ("ce_type", b"vn.hoso.signing.SignCompleted"),
            ("x-dlt-original-topic", b"bench.hoso.signing.completed"),
            ("x-dlt-error", b"AutoReconnect()"),
            ("x-dlt-attempts", b"5"),
        ]
    )
    assert original_topic(record) == "bench.hoso.signing.completed"
    assert replay_headers(record) == [
        ("ce_id", b"e-1"),
        ("ce_type", b"vn.hoso.signing.SignCompleted"),
        ("x-replayed-from", b"hoso.signing.completed.dlt/2/41"),
    ]


def test_without_the_header_the_topic_name_tells_the_origin() -> None:
    assert original_topic(dead_letter([])) == "hoso.signing.completed"
