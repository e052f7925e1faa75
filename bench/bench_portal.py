"""Portal benchmark: pages through the portal vs. the same data straight from the APIs.

Simulated citizens, each with 200 documents in the vault, load the vault page ("Hồ sơ điện
tử", first page) and the procedure list ("Thủ tục hành chính") through the portal, logged in
through the IdP's form like a browser. In the same run, the same citizens load the same data
by calling the APIs directly with their tokens. Both go through the gateway. The last line is
`portal_ratio=<portal/direct throughput> portal_p95_ms=<x> api_p95_ms=<y>`.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx

from hoso_testing.identity import IdpClient, TestUser, browser

PDF = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages"
    b" /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


async def seed(api: httpx.AsyncClient, user: TestUser, count: int) -> None:
    """The citizen's vault: `count` small documents, uploaded a few at a time."""
    gate = asyncio.Semaphore(4)

    async def one(n: int) -> None:
        async with gate:
            response = await api.post(
                "/api/documents/v1/documents",
                data={"name": f"Giấy tờ {n:03d}", "sign": "false"},
                files={"file": (f"giay-to-{n:03d}.pdf", PDF, "application/pdf")},
                headers=user.headers,
            )
            response.raise_for_status()

    await asyncio.gather(*(one(n) for n in range(count)))


async def portal_login(gateway: str, user: TestUser) -> httpx.AsyncClient:
    """A cookie-keeping client logged in to the portal through the IdP's login form."""
    client = browser(base_url=gateway)
    started = await client.get("/login", params={"next": "/ho-so-dien-tu"})
    page = await client.get(started.headers["location"])
    found = re.search(r'<form[^>]*\baction="([^"]+)"', page.text)
    assert found, "no login form"
    answer = await client.post(
        html.unescape(found.group(1)), data={"username": user.username, "password": user.password}
    )
    done = await client.get(answer.headers["location"])
    assert done.status_code == 303, done.text[:500]
    return client


async def measure(
    calls: list[Callable[[], Awaitable[None]]], duration_s: float
) -> tuple[int, list[float]]:
    """Each simulated citizen repeats its calls, one after another, for `duration_s`."""
    latencies: list[float] = []
    deadline = time.monotonic() + duration_s

    async def citizen(call: Callable[[], Awaitable[None]]) -> None:
        while time.monotonic() < deadline:
            began = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - began) * 1000)

    await asyncio.gather(*(citizen(call) for call in calls))
    return len(latencies), latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--gateway", default=os.environ.get("HOSO_GATEWAY_URL", "http://127.0.0.1:8080")
    )
    parser.add_argument("--keycloak", default="http://127.0.0.1:8080/auth")
    parser.add_argument(
        "--citizens", type=int, default=int(os.environ.get("BENCH_PORTAL_CITIZENS", 4))
    )
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_PORTAL_SECONDS", 20))
    )
    parser.add_argument("--page-size", type=int, default=10, help="the portal's page size")
    args = parser.parse_args()

    keycloak = IdpClient(
        args.keycloak,
        admin_user=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN", "admin"),
        admin_password=os.environ.get("HOSO_TEST_KEYCLOAK_ADMIN_PASSWORD", "hoso-local-admin"),
    )
    citizens = [
        await keycloak.citizen(f"Người Đo Hiệu Năng {uuid.uuid4().hex[:4]}")
        for _ in range(args.citizens)
    ]
    await keycloak.aclose()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=args.gateway, timeout=60, limits=limits) as api:
        began = time.monotonic()
        await asyncio.gather(*(seed(api, user, args.documents) for user in citizens))
        print(
            f"seeded {args.citizens} x {args.documents} documents "
            f"in {time.monotonic() - began:.0f}s"
        )
        portals = [await portal_login(args.gateway, user) for user in citizens]
        try:

            def through_portal(client: httpx.AsyncClient) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    vault = await client.get("/ho-so-dien-tu")
                    assert vault.status_code == 200 and "Giấy tờ" in vault.text, vault.status_code
                    procedures = await client.get("/thu-tuc")
                    assert procedures.status_code == 200, procedures.status_code

                return call

            def direct(user: TestUser) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    vault = await api.get(
                        "/api/documents/v1/documents",
                        params={"page": 1, "size": args.page_size},
                        headers=user.headers,
                    )
                    assert vault.status_code == 200 and vault.json()["total"] >= args.documents
                    procedures = await api.get(
                        "/api/submission/v1/procedures", headers=user.headers
                    )
                    assert procedures.status_code == 200, procedures.status_code

                return call

            # warm both paths (connections, caches) before measuring
            await measure([through_portal(c) for c in portals], 2)
            await measure([direct(u) for u in citizens], 2)
            portal_n, portal_ms = await measure([through_portal(c) for c in portals], args.seconds)
            api_n, api_ms = await measure([direct(u) for u in citizens], args.seconds)
        finally:
            for client in portals:
                await client.aclose()

    portal_rate = portal_n / args.seconds
    api_rate = api_n / args.seconds
    print(
        f"portal: {portal_n} page pairs, {portal_rate:.1f}/s; "
        f"api: {api_n} call pairs, {api_rate:.1f}/s"
    )
    print(
        f"portal_ratio={portal_rate / api_rate:.2f} portal_p95_ms={p95(portal_ms):.0f} "
        f"api_p95_ms={p95(api_ms):.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
