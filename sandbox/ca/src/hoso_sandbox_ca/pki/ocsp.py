"""RFC 6960 OCSP responder; each CA answers for the certificates it issued, signing itself."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from hoso_sandbox_ca.pki.authority import CertificateAuthority, KeyPair

logger = logging.getLogger(__name__)

RESPONSE_VALIDITY = timedelta(days=1)


def _hash(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def issuer_hashes(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """CertID's issuerNameHash and issuerKeyHash (hash of the subjectPublicKey BIT STRING)."""
    name = issuer.subject.public_bytes()
    key = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    return _hash(algorithm, name), _hash(algorithm, key)


class OcspResponder:
    """Answers good, revoked or unknown for one certificate per request."""

    def __init__(self, authority: CertificateAuthority) -> None:
        self.authority = authority

    def _issuer_for(self, request: ocsp.OCSPRequest) -> KeyPair | None:
        for candidate in (self.authority.issuing, self.authority.root):
            name_hash, key_hash = issuer_hashes(candidate.certificate, request.hash_algorithm)
            if name_hash == request.issuer_name_hash and key_hash == request.issuer_key_hash:
                return candidate
        return None

    def respond(self, request_der: bytes, now: datetime | None = None) -> bytes:
        """DER OCSPResponse for a DER OCSPRequest (malformed/unauthorized statuses included)."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm
        # Bad DER, several requests in one, or an unknown hash algorithm: each raises its own type.
        except Exception as error:
            logger.info("malformed OCSP request: %s", error)
            return _status_only(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        issuer = self._issuer_for(request)
        if issuer is None:
            return _status_only(ocsp.OCSPResponseStatus.UNAUTHORIZED)

        now = (now or datetime.now(UTC)).replace(microsecond=0)
        serial = request.serial_number
        revocation = self.authority.revocation(serial)
        if revocation is not None and self.authority.issuer_of(serial) is issuer:
            status = ocsp.OCSPCertStatus.REVOKED
        elif self.authority.issuer_of(serial) is issuer:
            status = ocsp.OCSPCertStatus.GOOD
        else:
            status = ocsp.OCSPCertStatus.UNKNOWN
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=serial,
            algorithm=algorithm,
            cert_status=status,
            this_update=now,
            next_update=now + RESPONSE_VALIDITY,
            revocation_time=revocation.revoked_at
            if status is ocsp.OCSPCertStatus.REVOKED and revocation
            else None,
            revocation_reason=revocation.reason
            if status is ocsp.OCSPCertStatus.REVOKED and revocation
            else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.certificate)
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        response = builder.sign(issuer.key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)


def _status_only(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
