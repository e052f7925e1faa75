"""Public PKI endpoints: CA certificates, CRLs, OCSP (RFC 6960) and the TSA (RFC 3161)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hoso_common.errors import BadRequest, PayloadTooLarge
from hoso_sandbox_ca.api.deps import CaDep

router = APIRouter(prefix="/pki", tags=["pki"])

MAX_QUERY_BYTES = 64 * 1024
PEM = "application/x-pem-file"
DER_CERT = "application/pkix-cert"


async def _small_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_QUERY_BYTES:
        raise PayloadTooLarge("Yêu cầu quá lớn.")
    return body


@router.get("/root.pem")
async def root_pem(ca: CaDep) -> Response:
    """The root CA certificate (PEM): the trust anchor."""
    return Response(ca.authority.root.pem, media_type=PEM)


@router.get("/issuing.pem")
async def issuing_pem(ca: CaDep) -> Response:
    """The issuing CA certificate (PEM)."""
    return Response(ca.authority.issuing.pem, media_type=PEM)


@router.get("/tsa.pem")
async def tsa_pem(ca: CaDep) -> Response:
    """The time-stamping authority's certificate (PEM)."""
    return Response(ca.authority.tsa.pem, media_type=PEM)


@router.get("/root.crt")
async def root_crt(ca: CaDep) -> Response:
    """The root CA certificate (DER), as named by the AIA CA-issuers URL."""
    return Response(ca.authority.root.der, media_type=DER_CERT)


@router.get("/issuing.crt")
async def issuing_crt(ca: CaDep) -> Response:
    """The issuing CA certificate (DER), as named by the AIA CA-issuers URL."""
    return Response(ca.authority.issuing.der, media_type=DER_CERT)


@router.get("/issuing.crl")
async def issuing_crl(ca: CaDep) -> Response:
    """CRL of the issuing CA (DER): revoked citizen certificates."""
    return Response(
        ca.authority.current_crl(ca.authority.issuing), media_type="application/pkix-crl"
    )


@router.get("/root.crl")
async def root_crl(ca: CaDep) -> Response:
    """CRL of the root CA (DER): covers the issuing CA and the TSA."""
    return Response(ca.authority.current_crl(ca.authority.root), media_type="application/pkix-crl")


@router.post("/ocsp")
async def ocsp_post(request: Request, ca: CaDep) -> Response:
    """OCSP over POST (application/ocsp-request)."""
    response = ca.ocsp.respond(await _small_body(request))
    return Response(response, media_type="application/ocsp-response")


@router.get("/ocsp/{encoded:path}")
async def ocsp_get(encoded: str, ca: CaDep) -> Response:
    """OCSP over GET: the URL-escaped base64 DER request (RFC 6960 appendix A.1)."""
    try:
        request_der = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("Yêu cầu OCSP không hợp lệ.") from None
    return Response(ca.ocsp.respond(request_der), media_type="application/ocsp-response")


@router.post("/tsa")
async def tsa(request: Request, ca: CaDep) -> Response:
    """RFC 3161 time-stamp (application/timestamp-query → application/timestamp-reply)."""
    response = ca.tsa.respond(await _small_body(request))
    return Response(response, media_type="application/timestamp-reply")
