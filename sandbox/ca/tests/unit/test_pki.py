"""The PKI pieces on their own: hierarchy, persistence, citizen certificates, CRL, OCSP, TSA."""

import hashlib
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hoso_sandbox_ca.pki.authority import CertificateAuthority
from hoso_sandbox_ca.pki.files import new_rsa_key
from hoso_sandbox_ca.pki.ocsp import OcspResponder
from hoso_sandbox_ca.pki.tsa import SANDBOX_POLICY, RejectedTimeStampResp, TimeStampAuthority

PUBLIC_URL = "http://ca.test:8091"


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority(tmp_path_factory.mktemp("pki"), PUBLIC_URL)


def citizen_id() -> str:
    return f"{secrets.randbelow(10**12):012d}"


def ocsp_status(
    authority: CertificateAuthority, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPResponse:
    nonce = secrets.token_bytes(16)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 (CertID as clients send it)
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    der = OcspResponder(authority).respond(request.public_bytes(serialization.Encoding.DER))
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    issuer.public_key().verify(  # type: ignore[union-attr, call-arg]
        response.signature,
        response.tbs_response_bytes,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return response


def test_hierarchy_chains_to_the_root(authority: CertificateAuthority) -> None:
    root = authority.root.certificate
    issuing = authority.issuing.certificate
    tsa = authority.tsa.certificate
    root.verify_directly_issued_by(root)
    issuing.verify_directly_issued_by(root)
    tsa.verify_directly_issued_by(root)
    assert issuing.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_restart_keeps_the_same_root(tmp_path: Path) -> None:
    first = CertificateAuthority(tmp_path, PUBLIC_URL)
    second = CertificateAuthority(tmp_path, PUBLIC_URL)
    assert first.root.der == second.root.der
    assert first.issuing.der == second.issuing.der
    assert first.tsa.der == second.tsa.der


def test_citizen_certificate_profile(authority: CertificateAuthority) -> None:
    user_id = citizen_id()
    cert = authority.issue_citizen(user_id, "Nguyễn Văn An", new_rsa_key())
    cert.verify_directly_issued_by(authority.issuing.certificate)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn An"
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == f"CCCD:{user_id}"
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    aia = {
        d.access_method._name: d.access_location.value
        for d in cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    }
    assert aia == {"OCSP": f"{PUBLIC_URL}/pki/ocsp", "caIssuers": f"{PUBLIC_URL}/pki/issuing.crt"}
    crl_dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name[0].value == f"{PUBLIC_URL}/pki/issuing.crl"
    assert cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == "sha256"
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]


def test_ocsp_good_then_revoked_and_crl_lists_it(authority: CertificateAuthority) -> None:
    cert = authority.issue_citizen(citizen_id(), "Trần Thị Bình", new_rsa_key())
    issuing = authority.issuing.certificate
    assert ocsp_status(authority, cert, issuing).certificate_status is ocsp.OCSPCertStatus.GOOD
    crl = x509.load_der_x509_crl(authority.current_crl(authority.issuing))
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is None

    authority.revoke(cert.serial_number, x509.ReasonFlags.key_compromise)
    response = ocsp_status(authority, cert, issuing)
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason is x509.ReasonFlags.key_compromise
    crl = x509.load_der_x509_crl(authority.current_crl(authority.issuing))
    assert crl.is_signature_valid(issuing.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    root_crl = x509.load_der_x509_crl(authority.current_crl(authority.root))
    assert root_crl.get_revoked_certificate_by_serial_number(cert.serial_number) is None


def test_ocsp_answers_for_ca_certificates_and_unknown_serials(
    authority: CertificateAuthority,
) -> None:
    root = authority.root.certificate
    for cert in (authority.issuing.certificate, authority.tsa.certificate):
        assert ocsp_status(authority, cert, root).certificate_status is ocsp.OCSPCertStatus.GOOD
    stranger = authority.issue_citizen(citizen_id(), "X", new_rsa_key())
    forged = (
        x509.CertificateBuilder()
        .subject_name(stranger.subject)
        .issuer_name(stranger.issuer)
        .public_key(stranger.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(stranger.not_valid_before_utc)
        .not_valid_after(stranger.not_valid_after_utc)
        .sign(new_rsa_key(), hashes.SHA256())
    )
    response = ocsp_status(authority, forged, authority.issuing.certificate)
    assert response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_ocsp_rejects_garbage(authority: CertificateAuthority) -> None:
    response = ocsp.load_der_ocsp_response(OcspResponder(authority).respond(b"\x30\x03junk"))
    assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_tsa_token_verifies(authority: CertificateAuthority) -> None:
    digest = hashlib.sha256(secrets.token_bytes(64)).digest()
    nonce = secrets.randbits(63)
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    reply = tsp.TimeStampResp.load(TimeStampAuthority(authority.tsa).respond(query.dump()))
    assert reply["status"]["status"].native == "granted"
    signed_data = reply["time_stamp_token"]["content"]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hashed_message"].native == digest
    assert tst_info["nonce"].native == nonce
    assert tst_info["policy"].native == SANDBOX_POLICY
    assert abs((tst_info["gen_time"].native - datetime.now(UTC)).total_seconds()) < 5

    signer = signed_data["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    tst_der = signed_data["encap_content_info"]["content"].contents
    assert attrs["message_digest"].native == hashlib.sha256(tst_der).digest()
    assert attrs["content_type"].native == "tst_info"
    tsa_der = authority.tsa.der
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(tsa_der).digest()
    assert signed_data["certificates"][0].chosen.dump() == tsa_der
    authority.tsa.certificate.public_key().verify(  # type: ignore[union-attr, call-arg]
        signer["signature"].native,
        cms.CMSAttributes(list(signer["signed_attrs"])).dump(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_tsa_rejects_a_wrong_length_imprint(authority: CertificateAuthority) -> None:
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"12"},
        }
    )
    reply = RejectedTimeStampResp.load(TimeStampAuthority(authority.tsa).respond(query.dump()))
    status = reply["status"]
    assert status["status"].native == "rejection"
    assert status["fail_info"].native == {"bad_alg"}
