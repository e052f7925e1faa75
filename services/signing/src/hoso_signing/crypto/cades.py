"""Detached CAdES (.p7s) for any non-PDF file: CMS SignedData built with asn1crypto."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from asn1crypto import algos, cms, tsp, x509

from hoso_signing.crypto.pades import (
    FinishedSignature,
    PreparedSignature,
    timestamp_time,
    verify_raw_signature,
)
from hoso_signing.crypto.pki import HttpxTimeStamper

MD_ALGORITHM = "sha256"


def signed_attributes(
    content_digest: bytes, cert: x509.Certificate, signing_time: datetime
) -> cms.CMSAttributes:
    """content-type, message-digest, signing-time and signing-certificate-v2, in DER order."""
    ess_cert_id = tsp.ESSCertIDv2(
        {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": MD_ALGORITHM}),
            "cert_hash": hashlib.sha256(cert.dump()).digest(),
            "issuer_serial": tsp.IssuerSerial(
                {
                    "issuer": [x509.GeneralName({"directory_name": cert.issuer})],
                    "serial_number": cert.serial_number,
                }
            ),
        }
    )
    return cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [content_digest]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
            ),
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [tsp.SigningCertificateV2({"certs": [ess_cert_id]})],
                }
            ),
        ]
    )


def prepare_cades(
    content: bytes, *, certificate: bytes, chain: tuple[bytes, ...], level: str
) -> PreparedSignature:
    cert = x509.Certificate.load(certificate)
    signing_time = datetime.now(UTC).replace(microsecond=0)
    attrs = signed_attributes(hashlib.sha256(content).digest(), cert, signing_time)
    attrs_der = attrs.dump()
    state: dict[str, Any] = {
        "format": "cades",
        "level": level,
        "signed_attrs": attrs_der,
        "certificate": certificate,
        "chain": list(chain),
        "prepared_at": signing_time,
    }
    return PreparedSignature(
        document=b"", to_be_signed=hashlib.sha256(attrs_der).digest(), state=state
    )


async def finish_cades(
    state: dict[str, Any], signature_value: bytes, timestamper: HttpxTimeStamper | None
) -> FinishedSignature:
    certificate = bytes(state["certificate"])
    attrs_der = bytes(state["signed_attrs"])
    verify_raw_signature(certificate, attrs_der, signature_value)
    cert = x509.Certificate.load(certificate)
    certs = [cert] + [x509.Certificate.load(bytes(der)) for der in state["chain"]]
    signer_info: dict[str, Any] = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": cert.issuer, "serial_number": cert.serial_number}
                )
            }
        ),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": MD_ALGORITHM}),
        "signed_attrs": cms.CMSAttributes.load(attrs_der),
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
        "signature": signature_value,
    }
    if timestamper is not None and state["level"] != "B-B":
        token = await timestamper.async_timestamp(
            hashlib.sha256(signature_value).digest(), MD_ALGORITHM
        )
        signer_info["unsigned_attrs"] = cms.CMSAttributes(
            [cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})]
        )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": MD_ALGORITHM})],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cms.CertificateChoices({"certificate": c}) for c in certs],
            "signer_infos": [cms.SignerInfo(signer_info)],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    signed_at = timestamp_time(info) or state["prepared_at"]
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    level = "B-T" if "unsigned_attrs" in signer_info else "B-B"
    return FinishedSignature(document=info.dump(), signed_at=signed_at, level=level)
