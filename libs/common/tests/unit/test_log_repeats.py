"""The repeat limit on aiokafka's log lines: one per message and quiet spell, with a count."""

import logging

from hoso_common.log import RepeatLimit


def record(name: str, msg: str, created: float, *args: object) -> logging.LogRecord:
    line = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)
    line.created = created
    return line


def test_a_reconnect_storm_becomes_one_line_per_spell_with_the_count_held_back() -> None:
    limit = RepeatLimit("aiokafka", every_s=10.0)
    storm = [
        record("aiokafka", "Unable connect to node with id %s: %s", t / 10, 1, "refused")
        for t in range(0, 250)  # 25 s of ten lines a second
    ]
    passed = [line for line in storm if limit.filter(line)]
    assert [line.created for line in passed] == [0.0, 10.0, 20.0]
    assert not hasattr(passed[0], "repeated")
    assert [getattr(line, "repeated", 0) for line in passed[1:]] == [99, 99]


def test_other_messages_and_other_loggers_pass_untouched() -> None:
    limit = RepeatLimit("aiokafka", every_s=10.0)
    assert limit.filter(record("aiokafka", "Unable connect to node with id %s", 0.0, 1))
    assert limit.filter(record("aiokafka", "Unable to update metadata from %s", 0.1, 1))
    assert limit.filter(record("aiokafka.consumer", "Unable connect to node with id %s", 0.2, 1))
    for t in range(5):
        assert limit.filter(record("documents", "a line of the service", t * 0.01))
    assert not limit.filter(record("aiokafka", "Unable connect to node with id %s", 0.3, 1))
