"""Trust roots, the RFC 3161 client and cached revocation fetching for signing and validation."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from asn1crypto import crl, ocsp, pem, tsp, x509
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.authority import Authority, CertTrustAnchor
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession
from pyhanko_certvalidator.fetchers.api import (
    CRLFetcher,
    Fetchers,
    FetchLimits,
    OCSPFetcher,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.registry import SimpleTrustManager

logger = logging.getLogger(__name__)
REVOCATION_TIME_TOLERANCE_S = 30


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from DER or PEM bytes."""
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def load_certificates(data: bytes) -> list[x509.Certificate]:
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    common_name: str | None
    serial_number: str
    issuer: str
    subject_serial: str | None


def summarize(cert: x509.Certificate) -> CertificateSummary:
    subject = cert.subject.native
    return CertificateSummary(
        subject=cert.subject.human_friendly,
        common_name=subject.get("common_name"),
        serial_number=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
        subject_serial=subject.get("serial_number"),
    )


class TrustStore:
    """The configured trust roots, loaded once (files or URLs) and kept as a trust manager."""

    def __init__(self, sources: list[str], *, timeout_s: float = 10.0) -> None:
        self.sources = sources
        self.timeout_s = timeout_s
        self._roots: list[x509.Certificate] | None = None
        self._manager: SimpleTrustManager | None = None
        self._lock = asyncio.Lock()

    async def roots(self) -> list[x509.Certificate]:
        if self._roots is None:
            async with self._lock:
                if self._roots is None:
                    self._roots = await self._load()
                    self._manager = SimpleTrustManager.build(trust_roots=self._roots)
        return self._roots

    async def manager(self) -> SimpleTrustManager:
        await self.roots()
        assert self._manager is not None
        return self._manager

    async def _load(self) -> list[x509.Certificate]:
        roots: list[x509.Certificate] = []
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            for source in self.sources:
                if source.startswith(("http://", "https://")):
                    response = await client.get(source)
                    response.raise_for_status()
                    data = response.content
                else:
                    data = await asyncio.to_thread(Path(source).read_bytes)
                roots.extend(load_certificates(data))
        if not roots:
            raise RuntimeError("no trust roots configured")
        return roots

    def anchor_for(self, cert: x509.Certificate) -> CertTrustAnchor | None:
        for root in self._roots or []:
            if root.subject == cert.issuer or root.issuer_serial == cert.issuer_serial:
                return CertTrustAnchor(root)
        return None


class HttpxTimeStamper(TimeStamper):
    """RFC 3161 client on a shared httpx client (pyHanko's own opens a session per call)."""

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self.url = url
        self.client = client

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            response = await self.client.post(
                self.url,
                content=req.dump(),
                headers={"Content-Type": "application/timestamp-query"},
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise TimestampRequestError("Error while contacting timestamp service") from error
        return tsp.TimeStampResp.load(response.content)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, or None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[parts.scheme]


def _is_internal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return not address.is_global


class FetchAllowList:
    """The only servers signing fetches certificates, OCSP responses and CRLs from.

    A certificate inside an uploaded file names URLs (AIA caIssuers, OCSP, CRL distribution
    points) chosen by whoever made the file. Only the configured CAs' hosts are ever asked;
    everything else, loopback, link-local and private addresses included, is refused unless
    configured.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        allowed: set[tuple[str, int]] = set()
        for entry in entries:
            text = entry.strip()
            if not text:
                continue
            endpoint = _endpoint(text if "://" in text else f"http://{text}")
            if endpoint is None:
                continue
            allowed.add(endpoint)
            if "://" not in text and urlsplit(f"http://{text}").port is None:
                allowed.add((endpoint[0], 443))  # a bare host allows http and https
        self.allowed = frozenset(allowed)

    def allows(self, url: str) -> bool:
        endpoint = _endpoint(url)
        if endpoint is None:
            return False
        if endpoint in self.allowed:
            return True
        if _is_internal(endpoint[0]):
            logger.warning("refused a fetch from an internal address", extra={"url": url[:200]})
        return False


class FetchRefused(aiohttp.ClientConnectionError):
    """A URL outside the allow-list; pyHanko treats it as an unreachable server."""


class _AllowListConnector(aiohttp.TCPConnector):
    """Checks every connection, redirects included, against the allow-list."""

    def __init__(self, allowed: FetchAllowList) -> None:
        super().__init__(ssl=ssl.create_default_context())
        self.allowed = allowed

    # ASYNC109: the parameter names are aiohttp's, which calls this method.
    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:  # noqa: ASYNC109
        url = str(req.url)
        if not self.allowed.allows(url):
            logger.info("fetch outside the allow-list refused", extra={"url": url[:200]})
            raise FetchRefused(f"fetching from {req.url.host}:{req.url.port} is not allowed")
        return await super().connect(req, traces, timeout)


class _GuardedSession(LazySession):
    def __init__(self, allowed: FetchAllowList) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.allowed = allowed

    def get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Proxies from the environment stay off: they would hide where requests go.
            self._session = aiohttp.ClientSession(
                connector=_AllowListConnector(self.allowed), trust_env=False
            )
        session: aiohttp.ClientSession = self._session
        return session


def guarded_fetcher_backend(
    allowed: FetchAllowList, *, per_request_timeout: float, limits: FetchLimits
) -> AIOHttpFetcherBackend:
    """pyHanko's fetchers, reaching only the allow-listed servers (closed by its close())."""
    backend = AIOHttpFetcherBackend(per_request_timeout=per_request_timeout, limits=limits)
    backend.session = _GuardedSession(allowed)
    return backend


class _ScopedOCSPFetcher(OCSPFetcher):
    """Serves one validation context from the shared cache, remembering what it used."""

    def __init__(self, shared: OCSPFetcher) -> None:
        self.shared = shared
        self.used: dict[bytes, ocsp.OCSPResponse] = {}

    async def fetch(self, cert: Any, authority: Authority) -> ocsp.OCSPResponse:
        response = await self.shared.fetch(cert, authority)
        self.used[response.dump()] = response
        return response

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return list(self.used.values())

    def fetched_responses_for_cert(self, cert: x509.Certificate) -> Iterable[ocsp.OCSPResponse]:
        mine = set(self.used)
        return [r for r in self.shared.fetched_responses_for_cert(cert) if r.dump() in mine]


class _ScopedCRLFetcher(CRLFetcher):
    def __init__(self, shared: CRLFetcher) -> None:
        self.shared = shared
        self.used: dict[bytes, crl.CertificateList] = {}

    async def fetch(self, cert: Any, *, use_deltas: bool = True) -> Iterable[crl.CertificateList]:
        crls = list(await self.shared.fetch(cert, use_deltas=use_deltas))
        for item in crls:
            self.used[item.dump()] = item
        return crls

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return list(self.used.values())

    def fetched_crls_for_cert(self, cert: x509.Certificate) -> Iterable[crl.CertificateList]:
        mine = set(self.used)
        return [c for c in self.shared.fetched_crls_for_cert(cert) if c.dump() in mine]


class RevocationCache:
    """OCSP responses and CRLs fetched once per `ttl_s` per certificate, for all signatures.

    Each validation context gets scoped fetchers, so a signature embeds only the revocation
    data of its own chain, while the network is asked once per certificate and period.
    """

    def __init__(self, ttl_s: float, allowed: FetchAllowList) -> None:
        self.ttl_s = ttl_s
        self._backend = guarded_fetcher_backend(
            allowed,
            per_request_timeout=10,
            limits=FetchLimits(max_requests=None, max_cert_requests=None),
        )
        self._shared: Fetchers | None = None
        self._born = 0.0

    def _current(self) -> Fetchers:
        now = time.monotonic()
        if self._shared is None or now - self._born > self.ttl_s:
            self._shared = self._backend.get_fetchers()
            self._born = now
        return self._shared

    def scoped(self) -> Fetchers:
        shared = self._current()
        return Fetchers(
            ocsp_fetcher=_ScopedOCSPFetcher(shared.ocsp_fetcher),
            crl_fetcher=_ScopedCRLFetcher(shared.crl_fetcher),
            cert_fetcher=shared.cert_fetcher,
        )

    async def aclose(self) -> None:
        await self._backend.close()  # type: ignore[no-untyped-call]


def path_from_ders(ders: list[bytes]) -> ValidationPath:
    """Rebuild a validation path stored root-first as DER certificates."""
    certs = [x509.Certificate.load(der) for der in ders]
    return ValidationPath(
        CertTrustAnchor(certs[0]), certs[1:-1], certs[-1] if len(certs) > 1 else None
    )


def path_to_ders(path: ValidationPath) -> list[bytes]:
    return [cert.dump() for cert in path]


async def signing_context(
    trust: TrustStore,
    *,
    other_certs: list[x509.Certificate],
    revocation: RevocationCache | None,
) -> ValidationContext:
    """A context that fetches (through the cache) the revocation data a new signature embeds."""
    manager = await trust.manager()
    if revocation is None:
        return ValidationContext(trust_manager=manager, other_certs=other_certs)
    return ValidationContext(
        trust_manager=manager,
        other_certs=other_certs,
        allow_fetching=True,
        fetchers=revocation.scoped(),
        # The context's moment is fixed when it is built; a fresh OCSP response fetched a
        # few seconds later (two fetches in a row, a loaded host, a responder's clock a
        # little ahead) would otherwise count as issued in the future and be refused.
        time_tolerance=timedelta(seconds=REVOCATION_TIME_TOLERANCE_S),
    )
