"""Root → issuing CA → citizen hierarchy, plus the TSA; kept on disk so restarts keep the root."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from hoso_sandbox_ca.pki.files import load_private_key, new_rsa_key, private_key_pem
from hoso_sandbox_ca.pki.files import write_atomically as write_file

logger = logging.getLogger(__name__)

ORGANIZATION = "HOSO Sandbox"
ROOT_VALIDITY = timedelta(days=365 * 20)
ISSUING_VALIDITY = timedelta(days=365 * 10)
TSA_VALIDITY = timedelta(days=365 * 10)
CITIZEN_VALIDITY = timedelta(days=365 * 3)
# Certificates start a little in the past so clocks that lag a few minutes still accept them.
BACKDATE = timedelta(minutes=10)
CRL_VALIDITY = timedelta(days=1)


@dataclass(frozen=True)
class KeyPair:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Revocation:
    serial_number: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None


def citizen_subject(user_id: str, name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"CCCD:{user_id}"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )


def _ca_subject(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(
    *, digital_signature: bool = False, non_repudiation: bool = False, ca: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class CertificateAuthority:
    """Issues and revokes certificates, builds CRLs, and knows every serial it has issued."""

    def __init__(self, directory: Path, public_url: str) -> None:
        self.directory = directory
        self.public_url = public_url.rstrip("/")
        self._lock = threading.Lock()
        self.root = self._load_or_create("root", self._make_root)
        self.issuing = self._load_or_create("issuing", self._make_issuing)
        self.tsa = self._load_or_create("tsa", self._make_tsa)
        self._revocations = self._load_revocations()
        self._crls: dict[int, tuple[bytes, int, datetime]] = {}
        # serial → issuer, so OCSP can tell "good" (we issued it) from "unknown".
        self._issued: dict[int, KeyPair] = {
            self.issuing.certificate.serial_number: self.root,
            self.tsa.certificate.serial_number: self.root,
        }

    # --- URLs written into certificates -----------------------------------------------------
    @property
    def ocsp_url(self) -> str:
        return f"{self.public_url}/pki/ocsp"

    def _aia(self, issuer_name: str) -> x509.AuthorityInformationAccess:
        return x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(self.ocsp_url),
                ),
                x509.AccessDescription(
                    AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(f"{self.public_url}/pki/{issuer_name}.crt"),
                ),
            ]
        )

    def _crl_dp(self, issuer_name: str) -> x509.CRLDistributionPoints:
        url = f"{self.public_url}/pki/{issuer_name}.crl"
        return x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    full_name=[x509.UniformResourceIdentifier(url)],
                    relative_name=None,
                    reasons=None,
                    crl_issuer=None,
                )
            ]
        )

    # --- the hierarchy ----------------------------------------------------------------------
    def _load_or_create(self, name: str, make: Callable[[rsa.RSAPrivateKey], KeyPair]) -> KeyPair:
        key_path = self.directory / f"{name}.key"
        cert_path = self.directory / f"{name}.pem"
        if key_path.exists() and cert_path.exists():
            return KeyPair(
                x509.load_pem_x509_certificate(cert_path.read_bytes()),
                load_private_key(key_path.read_bytes()),
            )
        pair = make(new_rsa_key())
        write_file(key_path, private_key_pem(pair.key), private=True)
        write_file(cert_path, pair.pem)
        logger.info(
            "created %s certificate",
            name,
            extra={"serial": format(pair.certificate.serial_number, "x")},
        )
        return pair

    def _builder(
        self,
        subject: x509.Name,
        issuer: x509.Name,
        public_key: rsa.RSAPublicKey,
        validity: timedelta,
    ) -> x509.CertificateBuilder:
        now = datetime.now(UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + validity)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    def _make_root(self, key: rsa.RSAPrivateKey) -> KeyPair:
        subject = _ca_subject("HOSO Sandbox Root CA")
        certificate = (
            self._builder(subject, subject, key.public_key(), ROOT_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, ca=True), critical=True)
            .sign(key, hashes.SHA256())
        )
        return KeyPair(certificate, key)

    def _issued_by_root(
        self, subject: x509.Name, key: rsa.RSAPrivateKey, validity: timedelta
    ) -> x509.CertificateBuilder:
        return (
            self._builder(subject, self.root.certificate.subject, key.public_key(), validity)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()),
                critical=False,
            )
            .add_extension(self._aia("root"), critical=False)
            .add_extension(self._crl_dp("root"), critical=False)
        )

    def _make_issuing(self, key: rsa.RSAPrivateKey) -> KeyPair:
        certificate = (
            self._issued_by_root(_ca_subject("HOSO Sandbox Issuing CA"), key, ISSUING_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(digital_signature=True, ca=True), critical=True)
            .sign(self.root.key, hashes.SHA256())
        )
        return KeyPair(certificate, key)

    def _make_tsa(self, key: rsa.RSAPrivateKey) -> KeyPair:
        certificate = (
            self._issued_by_root(
                _ca_subject("HOSO Sandbox Time Stamping Authority"), key, TSA_VALIDITY
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, non_repudiation=True), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .sign(self.root.key, hashes.SHA256())
        )
        return KeyPair(certificate, key)

    # --- citizens ---------------------------------------------------------------------------
    def issue_citizen(self, user_id: str, name: str, key: rsa.RSAPrivateKey) -> x509.Certificate:
        """A signing certificate for one citizen, under the issuing CA."""
        certificate = (
            self._builder(
                citizen_subject(user_id, name),
                self.issuing.certificate.subject,
                key.public_key(),
                CITIZEN_VALIDITY,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuing.key.public_key()),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, non_repudiation=True), critical=True)
            .add_extension(self._aia("issuing"), critical=False)
            .add_extension(self._crl_dp("issuing"), critical=False)
            .sign(self.issuing.key, hashes.SHA256())
        )
        self.register_issued(certificate)
        return certificate

    def register_issued(self, certificate: x509.Certificate) -> None:
        """Remember a citizen certificate loaded from disk or just issued."""
        self._issued[certificate.serial_number] = self.issuing

    def issuer_of(self, serial_number: int) -> KeyPair | None:
        return self._issued.get(serial_number)

    # --- revocation -------------------------------------------------------------------------
    @property
    def _revocations_path(self) -> Path:
        return self.directory / "revocations.json"

    def _load_revocations(self) -> dict[int, Revocation]:
        if not self._revocations_path.exists():
            return {}
        raw = json.loads(self._revocations_path.read_text())
        return {
            int(serial, 16): Revocation(
                int(serial, 16),
                datetime.fromisoformat(entry["revoked_at"]),
                x509.ReasonFlags(entry["reason"]) if entry.get("reason") else None,
            )
            for serial, entry in raw.items()
        }

    def revoke(self, serial_number: int, reason: x509.ReasonFlags | None = None) -> Revocation:
        """Revoke once; revoking again keeps the first time and reason."""
        with self._lock:
            existing = self._revocations.get(serial_number)
            if existing is not None:
                return existing
            revocation = Revocation(serial_number, datetime.now(UTC).replace(microsecond=0), reason)
            self._revocations[serial_number] = revocation
            write_file(
                self._revocations_path,
                json.dumps(
                    {
                        format(r.serial_number, "x"): {
                            "revoked_at": r.revoked_at.isoformat(),
                            "reason": r.reason.value if r.reason else None,
                        }
                        for r in self._revocations.values()
                    },
                    indent=1,
                ).encode(),
            )
        logger.info("revoked certificate", extra={"serial": format(serial_number, "x")})
        return revocation

    def revocation(self, serial_number: int) -> Revocation | None:
        return self._revocations.get(serial_number)

    def current_crl(self, issuer: KeyPair) -> bytes:
        """The CRL to publish: rebuilt after a revocation or once a quarter of its life passed."""
        now = datetime.now(UTC)
        key = issuer.certificate.serial_number
        cached = self._crls.get(key)
        if cached and cached[1] == len(self._revocations) and now - cached[2] < CRL_VALIDITY / 4:
            return cached[0]
        der = self.build_crl(issuer, now)
        self._crls[key] = (der, len(self._revocations), now)
        return der

    def build_crl(self, issuer: KeyPair, now: datetime | None = None) -> bytes:
        """A DER CRL of everything `issuer` has revoked, valid for a day."""
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.certificate.subject)
            .last_update(now)
            .next_update(now + CRL_VALIDITY)
            # Milliseconds since the epoch only grow, also across restarts.
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                critical=False,
            )
        )
        for revocation in list(self._revocations.values()):
            if self._issued.get(revocation.serial_number) is not issuer:
                continue
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(revocation.serial_number)
                .revocation_date(revocation.revoked_at)
            )
            if revocation.reason is not None:
                entry = entry.add_extension(x509.CRLReason(revocation.reason), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
