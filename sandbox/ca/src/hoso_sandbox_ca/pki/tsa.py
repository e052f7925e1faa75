"""RFC 3161 time-stamping authority: TimeStampReq in, signed TimeStampResp out."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hoso_sandbox_ca.pki.authority import KeyPair

logger = logging.getLogger(__name__)

# An OID under the "example" arc (2.999): this sandbox's time-stamping policy.
SANDBOX_POLICY = "2.999.8091.1"
IMPRINT_LENGTHS = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


class RejectedTimeStampResp(core.Sequence):  # type: ignore[misc]
    """TimeStampResp without a token; asn1crypto's own type does not mark the token optional."""

    _fields: ClassVar[list[tuple[str, Any]]] = [("status", tsp.PKIStatusInfo)]


def _rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {
            "status": "rejection",
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        }
    )
    return bytes(RejectedTimeStampResp({"status": status}).dump())


class TimeStampAuthority:
    """Signs TSTInfo with the TSA key (SHA-256 with RSA), ESSCertIDv2 naming the TSA cert."""

    def __init__(self, tsa: KeyPair, policy: str = SANDBOX_POLICY) -> None:
        self.tsa = tsa
        self.policy = policy
        self._cert = asn1_x509.Certificate.load(tsa.der)
        self._signing_certificate = tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "cert_hash": hashlib.sha256(tsa.der).digest(),
                        "issuer_serial": {
                            "issuer": [
                                asn1_x509.GeneralName(
                                    name="directory_name", value=self._cert.issuer
                                )
                            ],
                            "serial_number": self._cert.serial_number,
                        },
                    }
                ]
            }
        )

    def respond(self, request_der: bytes, now: datetime | None = None) -> bytes:
        """DER TimeStampResp: granted with a token, or a rejection that says why."""
        try:
            request = tsp.TimeStampReq.load(request_der)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed = imprint["hashed_message"].native
            requested_policy = request["req_policy"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
        except (ValueError, TypeError, KeyError) as error:
            logger.info("malformed timestamp query: %s", error)
            return _rejection("bad_data_format", "malformed TimeStampReq")
        if IMPRINT_LENGTHS.get(algorithm) != len(hashed):
            return _rejection("bad_alg", f"unsupported message imprint algorithm {algorithm}")
        if requested_policy is not None and requested_policy != self.policy:
            return _rejection("unaccepted_policy", f"only policy {self.policy} is offered")
        return bytes(self._grant(imprint, nonce, cert_req, now or datetime.now(UTC)).dump())

    def _grant(
        self, imprint: Any, nonce: int | None, cert_req: bool, now: datetime
    ) -> tsp.TimeStampResp:
        tst_fields: dict[str, Any] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(63),
            "gen_time": now,
            "accuracy": {"seconds": 1},
            "ordering": False,
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self._cert.subject),
        }
        if nonce is not None:
            tst_fields["nonce"] = nonce
        tst_info_der = tsp.TSTInfo(tst_fields).dump()

        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {
                    "type": "signing_time",
                    "values": [cms.Time({"utc_time": core.UTCTime(now)})],
                },
                {
                    "type": "message_digest",
                    "values": [hashlib.sha256(tst_info_der).digest()],
                },
                {"type": "signing_certificate_v2", "values": [self._signing_certificate]},
            ]
        )
        # The signature covers the attributes DER-encoded as a SET (RFC 5652 §5.4).
        signature = self.tsa.key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": {
                    "issuer_and_serial_number": {
                        "issuer": self._cert.issuer,
                        "serial_number": self._cert.serial_number,
                    }
                },
                "digest_algorithm": digest_algorithm,
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
                "signature": signature,
            }
        )
        signed_data: dict[str, Any] = {
            "version": "v3",
            "digest_algorithms": [digest_algorithm],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(tst_info_der),
            },
            "signer_infos": [signer_info],
        }
        # RFC 3161 §2.4.1: the certificate is included only when the client asked for it.
        if cert_req:
            signed_data["certificates"] = [self._cert]
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
