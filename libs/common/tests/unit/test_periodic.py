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


async def test_a_busy_pass_is_followed_at_once_and_a_nudge_cuts_the_pause() -> None:
    passes: list[float] = []
    work = [True, True, False]
    loop = asyncio.get_running_loop()

    async def step() -> bool:
        passes.append(loop.time())
        return work.pop(0) if work else False

    task = PeriodicTask("test", step, 60, busy=lambda result: result is True)
    task.start()
    async with asyncio.timeout(5):
        while len(passes) < 3:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert len(passes) == 3  # the third pass found nothing: the loop pauses for 60 s
    task.nudge()
    async with asyncio.timeout(5):
        while len(passes) < 4:
            await asyncio.sleep(0.01)
    await task.stop()
    assert passes[-1] - passes[0] < 5
