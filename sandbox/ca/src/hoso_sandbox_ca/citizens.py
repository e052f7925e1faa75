"""Enrolled citizens: one RSA key and certificate each, on disk, and loaded in memory once."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

from hoso_sandbox_ca.pki.authority import CertificateAuthority
from hoso_sandbox_ca.pki.files import load_private_key, new_rsa_key, private_key_pem
from hoso_sandbox_ca.pki.files import write_atomically as write_file

logger = logging.getLogger(__name__)

CITIZEN_ID = re.compile(r"^\d{12}$")
_PKCS1 = padding.PKCS1v15()
_PREHASHED_SHA256 = Prehashed(hashes.SHA256())


def default_name(user_id: str) -> str:
    return f"CÔNG DÂN {user_id}"


@dataclass
class Citizen:
    """A citizen with their current signing certificate; the key never leaves this process."""

    user_id: str
    name: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey = field(repr=False)
    created_at: datetime

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "x")

    @property
    def subject_dn(self) -> str:
        """RFC 4514 subject, with serialNumber named (cryptography prints it as 2.5.4.5)."""
        return self.certificate.subject.rfc4514_string({NameOID.SERIAL_NUMBER: "serialNumber"})

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def sign_digest(self, digest: bytes) -> bytes:
        """Raw RSA PKCS#1 v1.5 over DigestInfo(sha256, digest)."""
        return self.key.sign(digest, _PKCS1, _PREHASHED_SHA256)


class CitizenRegistry:
    """Enrolls citizens idempotently (also under concurrent calls); finds them by id or serial."""

    def __init__(self, directory: Path, authority: CertificateAuthority) -> None:
        self.directory = directory
        self.authority = authority
        self._by_id: dict[str, Citizen] = {}
        self._by_serial: dict[int, Citizen] = {}
        self._enrolling: dict[str, asyncio.Future[Citizen]] = {}
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.directory.glob("*.json")):
            self._remember(self._read(path))
        logger.info("loaded citizens", extra={"count": len(self._by_id)})

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, user_id: str) -> Citizen | None:
        return self._by_id.get(user_id)

    def by_serial(self, serial_number: int) -> Citizen | None:
        return self._by_serial.get(serial_number)

    def is_revoked(self, citizen: Citizen) -> bool:
        return self.authority.revocation(citizen.certificate.serial_number) is not None

    async def enroll(self, user_id: str, name: str | None = None) -> tuple[Citizen, bool]:
        """The citizen, enrolling them first if needed; True when this call enrolled them."""
        existing = self._by_id.get(user_id)
        if existing is not None:
            return existing, False
        pending = self._enrolling.get(user_id)
        if pending is not None:
            return await asyncio.shield(pending), False
        future: asyncio.Future[Citizen] = asyncio.get_running_loop().create_future()
        self._enrolling[user_id] = future
        try:
            # Key generation takes ~80 ms of CPU and releases the GIL: keep it off the loop.
            citizen = await asyncio.to_thread(self._issue, user_id, name or default_name(user_id))
            self._remember(citizen)
            future.set_result(citizen)
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            del self._enrolling[user_id]
        logger.info("enrolled citizen", extra={"user_id": user_id, "serial": citizen.serial_hex})
        return citizen, True

    async def reissue(self, user_id: str) -> Citizen:
        """A new key and certificate for an enrolled citizen (after a revocation, say)."""
        current = self._by_id[user_id]
        citizen = await asyncio.to_thread(self._issue, user_id, current.name)
        self._remember(citizen)
        return citizen

    def _issue(self, user_id: str, name: str) -> Citizen:
        key = new_rsa_key()
        certificate = self.authority.issue_citizen(user_id, name, key)
        citizen = Citizen(user_id, name, certificate, key, datetime.now(UTC))
        path = self.directory / f"{user_id}.json"
        previous: list[str] = []
        if path.exists():
            old = json.loads(path.read_text())
            previous = [*old.get("previous", []), old["certificate"]]
        record = {
            "user_id": user_id,
            "name": name,
            "created_at": citizen.created_at.isoformat(),
            "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
            "private_key": private_key_pem(key).decode(),
            # Older certificates stay known, so OCSP keeps answering "revoked" for them.
            "previous": previous,
        }
        write_file(path, json.dumps(record, ensure_ascii=False).encode(), private=True)
        return citizen

    def _read(self, path: Path) -> Citizen:
        record = json.loads(path.read_text())
        for pem in record.get("previous", []):
            self.authority.register_issued(x509.load_pem_x509_certificate(pem.encode()))
        certificate = x509.load_pem_x509_certificate(record["certificate"].encode())
        self.authority.register_issued(certificate)
        return Citizen(
            user_id=record["user_id"],
            name=record["name"],
            certificate=certificate,
            key=load_private_key(record["private_key"].encode()),
            created_at=datetime.fromisoformat(record["created_at"]),
        )

    def _remember(self, citizen: Citizen) -> None:
        self._by_id[citizen.user_id] = citizen
        self._by_serial[citizen.certificate.serial_number] = citizen
