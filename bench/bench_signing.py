"""Signing throughput: the full pipeline (1 replica, sandbox auto-approve) against bare pyHanko.

Starts a sandbox CA and one signing replica as processes on the running infrastructure
(HOSO_KAFKA_BOOTSTRAP_SERVERS / HOSO_MONGO_URL / HOSO_S3_ENDPOINT, local stack by default),
signs BENCH_SIGNING_REQUESTS (500) copies of a 300 KB PDF with metrics off and as many with
metrics on (`HOSO_METRICS`, in BENCH_SIGNING_ROUNDS alternating rounds), and measures
signatures/s and the latency from the CA's approval to SignCompleted for each. In the same
run it times bare pyHanko interrupted signing (prepare with a fixed bytes_reserved + finish)
on the same file.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

import signing_harness as harness

from hoso_signing.config import Settings
from hoso_testing.endpoints import free_port
from hoso_testing.signing.pdfs import build_pdf
from hoso_testing.signing.pki import ThrowawayPki

REQUESTS = int(os.environ.get("BENCH_SIGNING_REQUESTS", "500"))
# Rounds of (metrics off, metrics on), each signing REQUESTS / ROUNDS with a fresh replica.
ROUNDS = int(os.environ.get("BENCH_SIGNING_ROUNDS", "2"))
METRICS_MODES = ("off", "on")
# A replica starts in seconds on a quiet machine and in minutes on a crowded one.
STARTUP_TIMEOUT_S = float(os.environ.get("BENCH_STARTUP_TIMEOUT_S", "300"))
BARE_ROUNDS = int(os.environ.get("BENCH_SIGNING_BARE_ROUNDS", "100"))
# The replica's defaults: what the pipeline runs with.
SETTINGS = Settings()


async def bare_pyhanko(pdf: bytes, rounds: int) -> float:
    """Signatures/s of pyHanko's interrupted flow alone, with a local key (no CA, no I/O)."""
    from asn1crypto import cms, x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields
    from pyhanko.sign.signers import ExternalSigner, PdfSignatureMetadata, PdfSigner
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    pki = ThrowawayPki.create()
    cert = x509.Certificate.load(pki.leaf)
    chain = SimpleCertificateStore.from_certs([x509.Certificate.load(pki.issuing)])

    async def once(index: int) -> None:
        signer = ExternalSigner(cert, chain, signature_value=256)
        meta = PdfSignatureMetadata(
            field_name=f"Bare{index}",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
        )
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        digest, _, output = await PdfSigner(meta, signer=signer).async_digest_doc_for_signing(
            writer, bytes_reserved=16384
        )
        attrs = await signer.signed_attrs(digest.document_digest, "sha256", use_pades=True)
        import hashlib

        value = pki.sign_digest(hashlib.sha256(attrs.dump()).digest())
        final = ExternalSigner(cert, chain, signature_value=value)
        signature = await final.async_sign_prescribed_attributes(
            "sha256", signed_attrs=cms.CMSAttributes.load(attrs.dump())
        )
        await PdfTBSDocument.async_finish_signing(output, digest, signature)

    for i in range(5):
        await once(i)
    started = time.perf_counter()
    for i in range(rounds):
        await once(i)
    return rounds / (time.perf_counter() - started)


async def bare_at_level(pdf: bytes, rounds: int, *, ca_url: str, ca_dir: str, user: str) -> float:
    """Signatures/s of the same signing work the pipeline does, without the pipeline.

    pyHanko's interrupted prepare + finish through the service's PadesEngine at its configured
    PAdES level (B-LT by default: the sandbox CA's TSA and OCSP over HTTP), with the citizen's
    key read from the sandbox CA's data directory: no Kafka, database, object store, CA
    approval or webhook.
    """
    from hoso_sandbox_ca.citizens import CitizenRegistry
    from hoso_sandbox_ca.pki.authority import CertificateAuthority
    from hoso_signing.crypto.pades import PadesEngine
    from hoso_signing.crypto.pki import (
        FetchAllowList,
        HttpxTimeStamper,
        RevocationCache,
        TrustStore,
    )
    from hoso_signing.providers.vnpt import VnptSmartCAClient

    citizen = CitizenRegistry(
        Path(ca_dir) / "citizens", CertificateAuthority(Path(ca_dir) / "pki", ca_url)
    ).get(user)
    assert citizen is not None, "the sandbox CA has not enrolled the benchmark user"
    async with httpx.AsyncClient(timeout=30) as client:
        certificate = await VnptSmartCAClient(
            f"{ca_url}/vnpt",
            SETTINGS.vnpt_sp_id,
            SETTINGS.vnpt_sp_password.get_secret_value(),
            client=client,
        ).get_certificate(user)
        revocation = RevocationCache(
            SETTINGS.revocation_cache_s, FetchAllowList([*SETTINGS.fetch_allowed_sources(), ca_url])
        )
        engine = PadesEngine.from_settings(
            SETTINGS,
            trust=TrustStore([f"{ca_url}/pki/root.pem"]),
            timestamper=HttpxTimeStamper(f"{ca_url}/pki/tsa", client),
            revocation=revocation,
        )

        async def once(index: int) -> None:
            prepared = await engine.prepare(
                pdf,
                certificate=certificate.certificate,
                chain=certificate.chain,
                request_id=f"bare-{index}",
                reason=None,
                location=None,
                stamp=None,
            )
            value = citizen.sign_digest(prepared.to_be_signed)
            await engine.finish(prepared.document, prepared.state, value)

        try:
            for i in range(5):
                await once(i)
            started = time.perf_counter()
            for i in range(rounds):
                await once(i)
            return rounds / (time.perf_counter() - started)
        finally:
            await revocation.aclose()


async def main() -> None:
    pdf = build_pdf(4, pad_to=300_000)
    bare_bb_per_s = await bare_pyhanko(pdf, BARE_ROUNDS)
    print(
        f"bare pyHanko interrupted prepare+finish, B-B, local key: {bare_bb_per_s:.1f}/s "
        f"on {len(pdf)} bytes"
    )
    database = f"hoso_signing_bench_{harness.RUN}"
    ca_dir = tempfile.mkdtemp(prefix="hoso-ca-bench-")
    per_s: dict[str, list[float]] = {mode: [] for mode in METRICS_MODES}
    latencies: dict[str, list[float]] = {mode: [] for mode in METRICS_MODES}
    with harness.processes() as started:
        await harness.prepare_groups()
        port = free_port()
        ca = harness.start_ca(
            started,
            webhook_url=f"http://127.0.0.1:{port}/v1/callbacks/vnpt-smartca",
            auto_approve=0.0,
            data_dir=ca_dir,
        )
        await harness.wait_live(ca)
        feeder = await harness.start_feeder()
        watcher = await harness.CompletedWatcher().start()
        async with httpx.AsyncClient(timeout=30) as client:
            user = "079099" + harness.RUN_DIGITS
            await harness.add_sandbox_user(client, ca, user, "NGUYỄN VĂN BENCH")
        ref = await feeder.upload(pdf, filename="bench.pdf")
        bare_per_s = await bare_at_level(pdf, BARE_ROUNDS, ca_url=ca, ca_dir=ca_dir, user=user)
        print(
            f"bare pyHanko interrupted prepare+finish at the pipeline's level "
            f"({SETTINGS.pades_level}, sandbox TSA/OCSP): {bare_per_s:.1f}/s"
        )
        mongo = harness.mongo_client()

        async def run_batch(count: int, timeout_s: float) -> tuple[list[str], float]:
            ids = []
            start = time.time()
            for _ in range(count):
                request = feeder.request(ref, signer_id=user, signer_sub="citizen-bench")
                ids.append(request.request_id)
                await feeder.publish(request)
            await feeder.flush()
            wanted = set(ids)
            async with asyncio.timeout(timeout_s):
                while not wanted <= watcher.request_ids():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            return ids, start

        async def measure(mode: str, count: int) -> None:
            """One replica with metrics `mode` signs `count` requests, then stops."""
            replica = harness.start_replica(
                started,
                name=f"bench-metrics-{mode}",
                port=port,
                ca_url=ca,
                database=database,
                extra={"HOSO_METRICS": mode},
            )
            process = started[-1]
            await harness.wait_live(replica, "/health/ready", timeout_s=STARTUP_TIMEOUT_S)
            await asyncio.sleep(8)  # the consumers join their groups
            await run_batch(10, 120)  # warm-up: certificates, revocation cache, connections
            ids, start = await run_batch(count, 900)
            wanted = set(ids)
            records = [r for r in watcher.records if r["value"]["data"]["request_id"] in wanted]
            per_s[mode].append(len(wanted) / (max(r["at"] for r in records) - start))
            completed_at = {r["value"]["data"]["request_id"]: r["at"] for r in records}
            async for doc in mongo[database]["sign_requests"].find({"_id": {"$in": ids}}):
                answer = doc.get("answer")
                if isinstance(answer, dict) and answer.get("at") is not None:
                    approved_at = answer["at"].timestamp()  # type: ignore[union-attr]
                    latencies[mode].append((completed_at[str(doc["_id"])] - approved_at) * 1000)
            statuses = {r["value"]["data"]["status"] for r in records}
            print(
                f"metrics {mode}: {len(wanted)} requests, outcomes={sorted(statuses)}, "
                f"{per_s[mode][-1]:.1f}/s"
            )
            harness.stop(process)

        # The two settings take turns, so a change in the machine's load during the run
        # weighs on both figures alike.
        batch = max(1, REQUESTS // ROUNDS)
        for _ in range(ROUNDS):
            for mode in METRICS_MODES:
                await measure(mode, batch)
        await mongo.drop_database(database)  # the run's requests, kept only for this run
        await mongo.close()
        await watcher.stop()
        await feeder.stop()
    await harness.drop_topics()
    on, off = statistics.mean(per_s["on"]), statistics.mean(per_s["off"])
    print(
        f"metrics_ratio={on / off:.3f} metrics_on_per_s={on:.2f} metrics_off_per_s={off:.2f} "
        f"rounds={ROUNDS} requests_per_setting={batch * ROUNDS} "
        f"p50_ms_on={harness.percentile(latencies['on'], 0.5):.0f} "
        f"p50_ms_off={harness.percentile(latencies['off'], 0.5):.0f}"
    )
    print(
        f"signing_ratio={on / bare_per_s:.2f} pipeline_per_s={on:.1f} "
        f"bare_per_s={bare_per_s:.1f} p50_ms={harness.percentile(latencies['on'], 0.5):.0f} "
        f"p99_ms={harness.percentile(latencies['on'], 0.99):.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
