"""SSRF: validating an uploaded file asks no server that the file names, unless allow-listed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI, Request, Response
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from hoso_signing.crypto.pki import FetchAllowList, TrustStore
from hoso_signing.crypto.validation import SignatureValidator
from hoso_testing.server import serve_app
from hoso_testing.signing.pdfs import build_pdf
from hoso_testing.signing.pki import ThrowawayPki

pytestmark = pytest.mark.integration


@dataclass
class Listener:
    """A server that answers 404 to everything and counts who came."""

    url: str = ""
    hits: list[str] = field(default_factory=list)


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    seen = Listener()
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def anything(path: str, request: Request) -> Response:
        seen.hits.append(f"{request.method} /{path}")
        return Response(status_code=404)

    async with serve_app(app) as url:
        seen.url = url
        yield seen


async def signed_naming(links: str) -> bytes:
    """A signed PDF whose certificate names `links` for its issuer, OCSP and CRL."""
    pki = ThrowawayPki.create(links=links)
    key = pki.leaf_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    leaf = asn1_x509.Certificate.load(pki.leaf)
    signer = signers.SimpleSigner(
        signing_cert=leaf,
        signing_key=keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs([leaf]),
    )
    out = await signers.async_sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(build_pdf(1))),
        signers.PdfSignatureMetadata(field_name="Signature1"),
        signer=signer,
    )
    return out.getvalue()


async def test_a_file_naming_an_internal_url_makes_no_request(
    api: httpx.AsyncClient, listener: Listener, idp: object, sandbox_ca: object
) -> None:
    pdf = await signed_naming(listener.url)
    citizen = await idp.citizen()  # type: ignore[attr-defined]

    # Control: a validator that may ask the listener does ask it, so the count can move.
    ca_root = f"{sandbox_ca.url}/pki/root.pem"  # type: ignore[attr-defined]
    open_validator = SignatureValidator(
        TrustStore([ca_root]), allowed=FetchAllowList([listener.url])
    )
    await open_validator.validate_pdf(pdf)
    assert listener.hits, "the control validator should have fetched from the listener"
    listener.hits.clear()

    response = await api.post(
        "/v1/validations",
        headers=citizen.headers,
        files={"file": ("la.pdf", pdf, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is False and report["signatures"][0]["trusted"] is False
    assert listener.hits == []
