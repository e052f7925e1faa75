"""Burst: BENCH_BURST_REQUESTS (2,000) approvals released at once over 2 signing replicas.

Starts a sandbox CA (manual approval) and two signing replicas as processes, opens the
requests, waits until every one awaits approval, then calls POST /sandbox/approve-all and
measures how long the replicas take to drain the burst, counting duplicate SignCompleted.
Every BENCH_BURST_FPT_EVERY-th request (3: a third; 0: none) goes to FPT-CA, whose results
are pushed to the other replica; the rest go to VNPT-CA.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

import signing_harness as harness

from hoso_testing.endpoints import free_port
from hoso_testing.signing.pdfs import build_pdf

REQUESTS = int(os.environ.get("BENCH_BURST_REQUESTS", "2000"))
FPT_EVERY = int(os.environ.get("BENCH_BURST_FPT_EVERY", "3"))
USERS = 20


async def main() -> None:
    database = f"hoso_signing_burst_{harness.RUN}"
    with harness.processes() as started:
        await harness.prepare_groups()
        ports = [free_port(), free_port()]
        # The CA calls back one replica; finishing spreads over both through Kafka.
        ca = harness.start_ca(
            started,
            webhook_url=f"http://127.0.0.1:{ports[0]}/v1/callbacks/vnpt-smartca",
            fpt_webhook_url=f"http://127.0.0.1:{ports[1]}/v1/callbacks/fpt-esign",
            auto_approve=None,
        )
        await harness.wait_live(ca)
        replicas = [
            harness.start_replica(
                started, name=f"burst-{i}", port=port, ca_url=ca, database=database
            )
            for i, port in enumerate(ports)
        ]
        await asyncio.gather(
            *(harness.wait_live(url, "/health/ready", timeout_s=300) for url in replicas)
        )
        await asyncio.sleep(8)
        feeder = await harness.start_feeder()
        watcher = await harness.CompletedWatcher().start()
        users = [f"0480{i:02d}{harness.RUN_DIGITS}" for i in range(USERS)]
        async with httpx.AsyncClient(timeout=60) as client:
            for i, user in enumerate(users):
                await harness.add_sandbox_user(client, ca, user, f"CÔNG DÂN {i}")
            ref = await feeder.upload(build_pdf(2), filename="burst.pdf")
            ids = []
            providers: dict[str, str] = {}
            for i in range(REQUESTS):
                fpt = FPT_EVERY > 0 and i % FPT_EVERY == FPT_EVERY - 1
                request = feeder.request(
                    ref,
                    signer_id=users[i % USERS],
                    signer_sub=f"c-{i}",
                    provider="fpt-esign" if fpt else "vnpt-smartca",
                )
                ids.append(request.request_id)
                providers[request.request_id] = request.provider
                await feeder.publish(request)
            await feeder.flush()
            mongo = harness.mongo_client()
            requests = mongo[database]["sign_requests"]
            opened = time.time()
            while await requests.count_documents({"status": "awaiting_approval"}) < REQUESTS:
                if time.time() - opened > 3600:
                    raise TimeoutError("requests never all reached the CA")
                await asyncio.sleep(1)
            print(f"{REQUESTS} requests await approval after {time.time() - opened:.0f}s")
            released = time.time()
            approved = (await client.post(f"{ca}/sandbox/approve-all")).json()["approved"]
            print(f"approve-all released {approved}")
        wanted = set(ids)
        deadline = released + float(os.environ.get("BENCH_BURST_TIMEOUT_S", "1800"))
        while not wanted <= watcher.request_ids() and time.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # late duplicates, if any, surface here
        records = [r for r in watcher.records if r["value"]["data"]["request_id"] in wanted]
        done = {r["value"]["data"]["request_id"] for r in records}
        duplicates = len(records) - len(done)
        drain_s = (max(r["at"] for r in records) - released) if records else float("nan")
        signed = sum(1 for r in records if r["value"]["data"]["status"] == "signed")
        print(f"signed={signed} other outcomes={len(records) - signed - duplicates}")
        for provider in sorted(set(providers.values())):
            mine = {i for i, p in providers.items() if p == provider}
            got = [r for r in records if r["value"]["data"]["request_id"] in mine]
            ended = {r["value"]["data"]["request_id"] for r in got}
            print(
                f"{provider}: completed={len(ended)}/{len(mine)} lost={len(mine - ended)} "
                f"duplicates={len(got) - len(ended)}"
            )
        await watcher.stop()
        await feeder.stop()
        await mongo.drop_database(database)  # the run's requests, kept only for this run
        await mongo.close()
    await harness.drop_topics()
    print(f"burst_completed={len(done)}/{REQUESTS} duplicates={duplicates} drain_s={drain_s:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
