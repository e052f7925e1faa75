"""The fetch allow-list: only configured CA servers, never internal addresses by default."""

import pytest

from hoso_signing.config import Settings
from hoso_signing.crypto.pki import FetchAllowList

ALLOWED = FetchAllowList(
    ["ocsp.vnpt-ca.vn", "http://crl.viettel-ca.vn:8080/crl", "https://ca.example.vn/root.pem"]
)


@pytest.mark.parametrize(
    "url",
    [
        "http://ocsp.vnpt-ca.vn/ocsp",
        "https://ocsp.vnpt-ca.vn/ocsp",
        "http://crl.viettel-ca.vn:8080/other.crl",
        "https://ca.example.vn/issuer.cer",
        "HTTP://OCSP.VNPT-CA.VN./x",
    ],
)
def test_configured_servers_are_allowed(url: str) -> None:
    assert ALLOWED.allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8091/pki/ocsp",
        "http://localhost/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/crl",
        "http://192.168.1.1/",
        "http://[::1]:8080/",
        "http://crl.viettel-ca.vn/crl",  # the allowed port only
        "https://ca.example.vn:8443/x",
        "http://ocsp.vnpt-ca.vn.evil.example/ocsp",
        "ftp://ocsp.vnpt-ca.vn/x",
        "ldap://ca.example.vn/cn=root",
        "file:///etc/passwd",
        "not a url",
    ],
)
def test_everything_else_is_refused(url: str) -> None:
    assert not ALLOWED.allows(url)


def test_an_internal_address_is_allowed_only_when_configured() -> None:
    settings = Settings(
        trust_roots="http://127.0.0.1:8091/pki/root.pem",
        tsa_url="http://127.0.0.1:8091/pki/tsa",
        vnpt_base_url="http://127.0.0.1:8091/vnpt",
        viettel_base_url="http://127.0.0.1:8091/viettel",
    )
    allowed = FetchAllowList(settings.fetch_allowed_sources())
    assert allowed.allows("http://127.0.0.1:8091/pki/ocsp")
    assert not allowed.allows("http://127.0.0.1:8092/pki/ocsp")
    assert not allowed.allows("http://127.0.0.2:8091/pki/ocsp")
