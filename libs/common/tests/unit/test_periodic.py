"""The background loop: it keeps running after a failed pass and stops when asked."""

from __future__ import annotations

import asyncio

from hoso_common.periodic import PeriodicTask


async def test_a_failed_pass_is_reported_and_the_next_one_runs() -> None:
    passes: list[int] = []
    errors: list[Exception] = []
    done = asyncio.Event()

    async def step() -> None:
        passes.append(len(passes))
        if len(passes) == 1:
            raise RuntimeError("database away")
        if len(passes) == 3:
            done.set()

    task = PeriodicTask("test", step, 0.01, on_error=errors.append)
    task.start()
    await asyncio.wait_for(done.wait(), timeout=5)
    await task.stop()
    stopped_at = len(passes)
    await asyncio.sleep(0.05)
    assert [str(e) for e in errors] == ["database away"]
    assert stopped_at >= 3
    assert len(passes) == stopped_at
