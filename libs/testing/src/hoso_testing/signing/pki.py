"""A throwaway root → issuing → citizen chain whose key signs hashes like a CA would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID


def _name(common_name: str, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: rsa.RSAPublicKey,
    signing_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    links: str | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
    if links:
        # Where a validator would look for the issuer, OCSP and the CRL.
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{links}/ocsp"),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(f"{links}/issuer.cer"),
                    ),
                ]
            ),
            critical=False,
        ).add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(f"{links}/crl")], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


@dataclass
class ThrowawayPki:
    root: bytes
    issuing: bytes
    leaf: bytes
    leaf_key: rsa.RSAPrivateKey

    @classmethod
    def create(
        cls,
        name: str = "NGUYỄN VĂN A",
        citizen_id: str = "001099000001",
        *,
        links: str | None = None,
    ) -> ThrowawayPki:
        """The chain; `links` is a base URL the citizen's certificate names for AIA and CRL."""
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root_name = _name("Hoso Test Root CA")
        issuing_name = _name("Hoso Test Issuing CA")
        root = _cert(root_name, root_name, root_key.public_key(), root_key, ca=True)
        issuing = _cert(issuing_name, root_name, issuing_key.public_key(), root_key, ca=True)
        leaf = _cert(
            _name(name, f"CCCD:{citizen_id}"),
            issuing_name,
            leaf_key.public_key(),
            issuing_key,
            ca=False,
            links=links,
        )
        der = serialization.Encoding.DER
        return cls(
            root=root.public_bytes(der),
            issuing=issuing.public_bytes(der),
            leaf=leaf.public_bytes(der),
            leaf_key=leaf_key,
        )

    def sign_digest(self, digest: bytes) -> bytes:
        """What the CA does: RSA PKCS#1 v1.5 over DigestInfo(sha256, digest)."""
        return self.leaf_key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))

    def root_pem(self) -> bytes:
        return x509.load_der_x509_certificate(self.root).public_bytes(serialization.Encoding.PEM)
