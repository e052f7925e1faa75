"""Drives flow-1 signings through the gateway while a part of the local stack fails.

Flow 1: upload a PDF to documents asking for a signature, the sandbox CA approves it (by
itself, after AUTO_APPROVE_DELAY_S), signing signs it, documents records the signed version.
Each scenario runs SIGNINGS of them, injects its fault while they are in flight, and collects
what the assertions and docs/reliability.md need.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hoso_testing.identity import TestUser
from hoso_testing.signing.pdfs import build_pdf

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
SIGNINGS = int(os.environ.get("HOSO_FAULTS_SIGNINGS", "40"))
# The sandbox CA's approval lifetime during the scenarios (5 minutes by default).
APPROVAL_LIFETIME_S = 60.0
AUTO_APPROVE_DELAY_S = 1.0
# Every document ends (signed, or failed with a reason) within this of its upload.
END_WITHIN_S = APPROVAL_LIFETIME_S + 60
READY_WITHIN_S = 30.0
# No single request may take longer than this: nothing waits without a deadline.
REQUEST_LIMIT_S = 30.0
REPORT = REPO / ".stack" / "faults-report.json"

SIGNING_REPLICAS = int(os.environ.get("SIGNING_REPLICAS", "2"))
SERVICE_PORTS = {
    "documents": 8101,
    "eforms": 8102,
    "submission": 8104,
    "notifications": 8105,
    **{f"signing-{i}": 8130 + i for i in range(SIGNING_REPLICAS)},
}
DOCUMENTS = "/api/documents/v1/documents"
RETRYABLE = {502, 503, 504}


# A JVM or a Python service starts in seconds on an idle machine, in minutes on a busy one;
# that start is supervisord's business, the 30 s readiness bound counts from its end.
START_TIMEOUT_S = 300


def stack(command: str, parts: str, env: dict[str, str] | None = None) -> float:
    """Run a stack/hoso_stack.py command (stop, kill, start); returns how long it took.

    `env` is added to the environment of what `start` starts (e.g. a service's test setting).
    """
    began = time.monotonic()
    extra = ["--timeout", str(START_TIMEOUT_S)] if command == "start" else []
    result = subprocess.run(
        [sys.executable, str(REPO / "stack" / "hoso_stack.py"), command, parts, *extra],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=START_TIMEOUT_S + 60,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"stack {command} {parts} failed:\n{result.stdout[-3000:]}"
    return time.monotonic() - began


async def ready(port: int) -> bool:
    try:
        # Readiness itself gives each check 3 s; a loaded machine adds its own delay.
        async with httpx.AsyncClient(timeout=10) as client:
            return (await client.get(f"http://{HOST}:{port}/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False


async def all_ready() -> bool:
    return all(await asyncio.gather(*(ready(port) for port in SERVICE_PORTS.values())))


async def wait_all_ready(limit_s: float = 120.0) -> float:
    """Seconds until every service answers ready (limit_s + 1 when it never did)."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        if await all_ready():
            return time.monotonic() - began
        await asyncio.sleep(0.5)
    return limit_s + 1


@dataclass
class Signing:
    """One flow-1 signing as the citizen's portal sees it."""

    name: str
    document_id: str | None = None
    uploaded_at: float = 0.0
    ended_at: float = 0.0
    upload_tries: int = 0
    document: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    scenario: str
    signings: list[Signing]
    fault_s: float
    ready_after_s: float
    slowest_request_s: float
    total_s: float
    listed: list[dict[str, Any]]
    notes: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        statuses = [s.document.get("status") for s in self.signings]
        ends = [s.ended_at - s.uploaded_at for s in self.signings if s.ended_at]
        return {
            "scenario": self.scenario,
            "signings": len(self.signings),
            "signed": statuses.count("signed"),
            "failed": statuses.count("sign_failed"),
            "failure_reasons": sorted(
                {str((s.document.get("failure") or {}).get("reason")) for s in self.signings}
                - {"None"}
            ),
            "upload_retries": sum(max(s.upload_tries - 1, 0) for s in self.signings),
            "slowest_request_s": round(self.slowest_request_s, 1),
            "slowest_end_s": round(max(ends, default=0.0), 1),
            "fault_s": round(self.fault_s, 1),
            "ready_after_s": round(self.ready_after_s, 1),
            "total_s": round(self.total_s, 1),
            **self.notes,
        }


class Portal:
    """The citizen's calls, each with a deadline, timing the slowest one."""

    def __init__(self, gateway: httpx.AsyncClient, citizen: TestUser) -> None:
        self.gateway = gateway
        self.citizen = citizen
        self.slowest = 0.0
        self.slowest_call = ""

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        began = time.monotonic()
        try:
            return await self.gateway.request(
                method, url, headers=self.citizen.headers, timeout=REQUEST_LIMIT_S + 5, **kwargs
            )
        except httpx.HTTPError:
            return None  # the process behind the gateway died mid-request
        finally:
            took = time.monotonic() - began
            if took > self.slowest:
                self.slowest, self.slowest_call = took, f"{method} {url.split('/')[-1]}"

    async def upload(self, signing: Signing, deadline: float) -> None:
        pdf = build_pdf(title=signing.name)
        while time.monotonic() < deadline:
            signing.upload_tries += 1
            response = await self.call(
                "POST",
                DOCUMENTS,
                data={"name": signing.name, "sign": "true", "provider": "vnpt-smartca"},
                files={"file": ("giay-to.pdf", pdf, "application/pdf")},
            )
            if response is not None and response.status_code == 201:
                signing.document_id = response.json()["id"]
                signing.uploaded_at = time.monotonic()
                return
            if response is not None and response.status_code not in RETRYABLE:
                signing.errors.append(f"upload {response.status_code}: {response.text[:300]}")
                return
            if response is not None and response.status_code == 503:
                assert response.headers.get("content-type") == "application/problem+json"
                assert response.headers.get("retry-after"), "a 503 without Retry-After"
            # What a portal does with 503 + Retry-After (or a gateway error): try again.
            await asyncio.sleep(1.0)
        signing.errors.append("upload never accepted")

    async def follow(self, signing: Signing) -> None:
        if signing.document_id is None:
            return
        deadline = signing.uploaded_at + END_WITHIN_S
        while time.monotonic() < deadline:
            response = await self.call("GET", f"{DOCUMENTS}/{signing.document_id}")
            if response is not None and response.status_code == 200:
                signing.document = response.json()
                if signing.document["status"] in {"signed", "sign_failed"}:
                    signing.ended_at = time.monotonic()
                    return
            await asyncio.sleep(1.0)
        signing.errors.append(f"not ended within {END_WITHIN_S:.0f}s: {signing.document}")

    async def list_all(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            response = await self.call("GET", DOCUMENTS, params={"page": page, "limit": 100})
            assert response is not None and response.status_code == 200
            body = response.json()
            items += body["items"]
            if len(body["items"]) < 100:
                return items
            page += 1


Fault = Callable[[], Awaitable[dict[str, Any]]]


async def run_scenario(
    name: str,
    gateway: httpx.AsyncClient,
    citizen: TestUser,
    fault: Fault,
    *,
    fault_after_s: float = 2.0,
) -> Outcome:
    """SIGNINGS flow-1 signings started over a few seconds, with `fault` striking among them."""
    # The previous scenario's restarted parts may still be catching up.
    assert await wait_all_ready() <= 120, "the stack is not ready before the scenario"
    portal = Portal(gateway, citizen)
    began = time.monotonic()
    signings = [Signing(name=f"{name} {i} {uuid.uuid4().hex[:6]}") for i in range(SIGNINGS)]

    async def one(index: int, signing: Signing) -> None:
        await asyncio.sleep(index * 0.1)  # spread over 4 s, so the fault finds some mid-way
        await portal.upload(signing, time.monotonic() + END_WITHIN_S)
        await portal.follow(signing)

    async def strike() -> tuple[float, float, dict[str, Any]]:
        await asyncio.sleep(fault_after_s)
        fault_began = time.monotonic()
        notes = await fault()
        fault_s = time.monotonic() - fault_began
        return fault_s, await wait_all_ready(), notes

    flows = asyncio.gather(*(one(i, s) for i, s in enumerate(signings)))
    (fault_s, ready_after_s, notes), _ = await asyncio.gather(strike(), flows)
    # A document whose 201 a dying process never sent is the citizen's too: it must end.
    listed = await portal.list_all()
    deadline = time.monotonic() + 60
    while any(d["status"] == "signing" for d in listed) and time.monotonic() < deadline:
        await asyncio.sleep(2.0)
        listed = await portal.list_all()
    outcome = Outcome(
        scenario=name,
        signings=signings,
        fault_s=fault_s,
        ready_after_s=ready_after_s,
        slowest_request_s=portal.slowest,
        total_s=time.monotonic() - began,
        listed=listed,
        notes={**notes, "slowest_call": portal.slowest_call},
    )
    record(outcome)
    return outcome


def record(outcome: Outcome) -> None:
    """Keep each scenario's figures in .stack/faults-report.json (for docs/reliability.md)."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = json.loads(REPORT.read_text())
    except (OSError, ValueError):
        report = {}
    report[outcome.scenario] = outcome.figures()
    REPORT.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    sys.stdout.write(json.dumps(outcome.figures(), ensure_ascii=False) + "\n")


def check(outcome: Outcome) -> None:
    """What must hold after every scenario."""
    problems = [f"{s.name}: {e}" for s in outcome.signings for e in s.errors]
    assert not problems, "\n".join(problems[:20])
    for signing in outcome.signings:
        document = signing.document
        if document["status"] == "signed":
            signed_versions = [v for v in document["versions"] if v.get("origin") == "signing"]
            assert len(signed_versions) == 1, f"signed {len(signed_versions)} times: {document}"
        else:
            failure = document.get("failure") or {}
            assert failure.get("reason") and failure.get("message"), f"no clear reason: {document}"
    # Nothing stuck: also the documents whose 201 a dead process never sent.
    stuck = [d for d in outcome.listed if d["status"] not in {"signed", "sign_failed", "draft"}]
    assert not stuck, f"documents stuck: {stuck[:5]}"
    assert outcome.slowest_request_s <= REQUEST_LIMIT_S, "a request waited without a deadline"
    assert outcome.ready_after_s <= READY_WITHIN_S, (
        f"services ready only {outcome.ready_after_s:.0f}s after the fault ended"
    )


def nothing_failed(outcome: Outcome) -> None:
    """A store that was away for a moment is waited for: it never fails a signing."""
    failed = [s.document for s in outcome.signings if s.document.get("status") != "signed"]
    assert not failed, f"{len(failed)} signings failed: {[d.get('failure') for d in failed][:5]}"
