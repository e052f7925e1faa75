"""supervisord brings back a part that dies: Mailpit killed by its pid answers again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hoso_testing.endpoints import Endpoints

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]
REPO = Path(__file__).resolve().parents[2]
BACK_WITHIN_S = 30.0


def status_of(part: str) -> tuple[int, str, str]:
    """(pid, state, health) of a part, from `python3 stack/hoso_stack.py status`."""
    result = subprocess.run(
        [sys.executable, str(REPO / "stack" / "hoso_stack.py"), "status"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for line in result.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == part:
            return (int(fields[1]) if fields[1].isdigit() else 0), fields[2], fields[3]
    raise AssertionError(f"{part} is not in the status:\n{result.stdout}")


async def test_a_part_killed_by_its_pid_is_started_again(endpoints: Endpoints) -> None:
    pid, state, health = status_of("mailpit")
    assert (state, health) == ("running", "ready") and pid > 0

    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    while time.monotonic() - killed_at < BACK_WITHIN_S:
        new_pid, state, health = status_of("mailpit")
        if new_pid not in (0, pid) and (state, health) == ("running", "ready"):
            break
        await asyncio.sleep(0.2)
    else:
        pytest.fail(f"mailpit was not back within {BACK_WITHIN_S:.0f}s of its kill")

    assert not Path(f"/proc/{pid}").exists(), "the killed process is still there"
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=10) as client:
        response = await client.get("/mail/api/v1/messages", params={"limit": 1})
    assert response.status_code == 200, response.text
