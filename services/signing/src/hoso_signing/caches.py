"""What one replica keeps in memory to spare calls: signers' certificates, its prepared files."""

from __future__ import annotations

import time
from collections import OrderedDict

from hoso_signing.providers import ProviderClient, SignerCertificate


class CertificateCache:
    """A signer's certificate from the CA, reused for a while instead of asked per request."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[tuple[str, str], tuple[SignerCertificate, float]] = {}

    async def get(self, provider: ProviderClient, user_id: str) -> SignerCertificate:
        key = (provider.provider_id, user_id)
        cached = self._entries.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        certificate = await provider.get_certificate(user_id)
        self._entries[key] = (certificate, time.monotonic() + self.ttl_s)
        return certificate

    def forget(self, provider_id: str, user_id: str) -> None:
        self._entries.pop((provider_id, user_id), None)


class PreparedCache:
    """Prepared documents this replica wrote, kept for its own finish (bounded, oldest out).

    The object store holds the copy every replica can read; a finish on the replica that
    prepared the request is spared reading it back.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        self._entries[key] = value
        self._size += len(value)
        while self._size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped)

    def take(self, key: str) -> bytes | None:
        value = self._entries.pop(key, None)
        if value is not None:
            self._size -= len(value)
        return value
