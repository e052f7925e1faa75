"""A PAdES B-LT signature made through the CA validates offline with pyHanko and with pdfsig."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import pytest_asyncio
from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from hoso_testing.identity import IdpClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from conftest import StartCa

pytestmark = pytest.mark.integration
SP = {"sp_id": "hoso-sp", "sp_password": "hoso-sp-secret"}
# The OCSP answer is fetched after the signing time; on a busy host seconds later, which the
# validator's default 1 s tolerance counts as "issued in the future" (as signing's pki does).
REVOCATION_TOLERANCE = timedelta(seconds=30)


def blank_pdf() -> bytes:
    writer = PdfFileWriter()
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Page"),
                generic.NameObject("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                ),
                generic.NameObject("/Resources"): generic.DictionaryObject(),
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class SandboxCaSigner(signers.Signer):
    """Signs through the VNPT API and approves on the phone, like a citizen would."""

    def __init__(
        self,
        ca: httpx.AsyncClient,
        user_id: str,
        chain: list[asn1_x509.Certificate],
        login: dict[str, str],
    ) -> None:
        super().__init__(
            signing_cert=chain[0],
            cert_registry=SimpleCertificateStore.from_certs(chain),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        )
        self.ca, self.user_id, self.login = ca, user_id, login

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(256)
        assert digest_algorithm == "sha256"
        started = await self.ca.post(
            "/vnpt/v1/signatures/sign",
            json={
                **SP,
                "user_id": self.user_id,
                "transaction_id": secrets.token_hex(8),
                "transaction_desc": "Hợp đồng thử nghiệm",
                "sign_files": [
                    {
                        "data_to_be_signed": hashlib.sha256(data).hexdigest(),
                        "doc_id": "pdf-1",
                        "file_type": "pdf",
                        "sign_type": "hash",
                    }
                ],
            },
        )
        tran_id = started.json()["data"]["transaction_id"]
        approved = await self.ca.post(f"/phone/requests/{tran_id}/approve", headers=self.login)
        assert approved.status_code == 200
        status = await self.ca.post(f"/vnpt/v1/signatures/sign/{tran_id}/status", json=SP)
        return base64.b64decode(status.json()["data"]["signatures"][0]["signature_value"])


@pytest_asyncio.fixture
async def ca(start_ca: StartCa, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A CA with a PKI of its own. The session's shared PKI was issued by CAs on other
    ports, and the OCSP and CRL addresses in its TSA and issuing certificates name those."""
    pki = tmp_path / "pki"
    pki.mkdir()
    async with start_ca(data_dir=pki) as running:
        yield running.client


async def test_pades_b_lt_validates_with_pyhanko_and_pdfsig(
    ca: httpx.AsyncClient, tmp_path: Path, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    user_id = str(citizen.citizen_id)
    entry = (
        await ca.post("/vnpt/v1/credentials/get_certificate", json={**SP, "user_id": user_id})
    ).json()
    cert_entry = entry["data"]["user_certificates"][0]
    chain = [
        asn1_x509.Certificate.load(base64.b64decode(der))
        for der in (
            cert_entry["cert_data"],
            cert_entry["chain_data"]["ca_cert"],
            cert_entry["chain_data"]["root_cert"],
        )
    ]
    root = chain[2]
    base = str(ca.base_url).rstrip("/")

    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name="Signature1",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=True,
            validation_context=ValidationContext(
                trust_roots=[root], allow_fetching=True, time_tolerance=REVOCATION_TOLERANCE
            ),
        ),
        signer=SandboxCaSigner(ca, user_id, chain, citizen.headers),
        timestamper=HTTPTimeStamper(f"{base}/pki/tsa"),
    )
    signed = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(io.BytesIO(blank_pdf())))
    pdf_bytes = signed.getvalue()

    # Offline, hard-fail: only the revocation info embedded in the DSS can satisfy the validator.
    reader = PdfFileReader(io.BytesIO(pdf_bytes))
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps or dss.crls, "B-LT must embed revocation info"
    offline = dss.as_validation_context(
        {
            "trust_roots": [root],
            "allow_fetching": False,
            "revocation_mode": "hard-fail",
            "time_tolerance": REVOCATION_TOLERANCE,
        }
    )
    (embedded,) = reader.embedded_signatures
    status = await async_validate_pdf_signature(embedded, offline, ts_validation_context=offline)
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert status.signing_cert.subject.native["serial_number"] == f"CCCD:{user_id}"

    # poppler's pdfsig, with an NSS database that trusts only the sandbox root.
    pdf_path, nss_dir, root_path = tmp_path / "signed.pdf", tmp_path / "nss", tmp_path / "root.pem"
    pdf_path.write_bytes(pdf_bytes)
    root_path.write_bytes((await ca.get("/pki/root.pem")).content)
    nss_dir.mkdir()
    await run("certutil", "-N", "-d", f"sql:{nss_dir}", "--empty-password")
    await run(
        "certutil",
        "-A",
        "-d",
        f"sql:{nss_dir}",
        "-n",
        "hoso-sandbox-root",
        "-t",
        "CT,C,C",
        "-i",
        root_path,
    )
    report = await run("pdfsig", "-nssdir", f"sql:{nss_dir}", pdf_path)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Certificate Validation: Certificate is Trusted." in report, report
    assert "Signature Type: ETSI.CAdES.detached" in report, report


async def run(*command: str | Path) -> str:
    """A child process that does not block the loop serving the CA (pdfsig asks its OCSP)."""
    try:
        process = await asyncio.create_subprocess_exec(
            *map(str, command), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
    except FileNotFoundError as missing:
        raise AssertionError(
            f"{command[0]} is required (apt-get install poppler-utils libnss3-tools)"
        ) from missing
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    return output.decode()
