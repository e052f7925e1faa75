"""Prepare once, store the state as BSON, finish with a fresh engine (as another replica would)."""

from __future__ import annotations

import hashlib
import re
import subprocess
from io import BytesIO
from pathlib import Path

import bson
import httpx
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_detached_cms, async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from hoso_signing.crypto.cades import finish_cades, prepare_cades
from hoso_signing.crypto.pades import (
    InvalidProviderSignature,
    PadesEngine,
    Stamp,
    UnsignableDocument,
)
from hoso_signing.crypto.pki import FetchAllowList, HttpxTimeStamper, RevocationCache, TrustStore
from hoso_testing.signing.pdfs import build_pdf, encrypt_pdf
from hoso_testing.signing.pki import ThrowawayPki


@pytest.fixture(scope="module")
def pki() -> ThrowawayPki:
    return ThrowawayPki.create()


def engine() -> PadesEngine:
    return PadesEngine(
        level="B-B",
        bytes_reserved=16384,
        trust=TrustStore([]),
        timestamper=HttpxTimeStamper("http://unused.invalid", httpx.AsyncClient()),
        revocation=RevocationCache(60, FetchAllowList([])),
        font_path="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    )


async def test_state_survives_bson_and_a_fresh_engine_finishes(pki: ThrowawayPki) -> None:
    pdf = build_pdf(2)
    prepared = await engine().prepare(
        pdf,
        certificate=pki.leaf,
        chain=(pki.issuing, pki.root),
        request_id="r-1",
        reason="Ký",
        location="Hà Nội",
        stamp=None,
    )
    assert prepared.to_be_signed == hashlib.sha256(prepared.state["signed_attrs"]).digest()
    stored = bson.decode(bson.encode({"state": prepared.state}))["state"]
    signature = pki.sign_digest(prepared.to_be_signed)
    finished = await engine().finish(prepared.document, stored, signature)
    assert finished.document.startswith(pdf)

    reader = PdfFileReader(BytesIO(finished.document))
    [embedded] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[pki_root(pki)])
    status = await async_validate_pdf_signature(embedded, signer_validation_context=context)
    assert status.intact and status.valid and status.trusted


def pki_root(pki: ThrowawayPki) -> object:
    from asn1crypto import x509

    return x509.Certificate.load(pki.root)


async def test_a_wrong_signature_from_the_ca_is_refused(pki: ThrowawayPki) -> None:
    prepared = await engine().prepare(
        build_pdf(1),
        certificate=pki.leaf,
        chain=(pki.issuing,),
        request_id="r-2",
        reason=None,
        location=None,
        stamp=None,
    )
    with pytest.raises(InvalidProviderSignature):
        await engine().finish(prepared.document, prepared.state, b"\x00" * 256)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (encrypt_pdf(build_pdf(1)), "encrypted_pdf"),
        (b"%PDF-1.7\ngarbage", "malformed_pdf"),
        (b"hello", "not_a_pdf"),
        (build_pdf(2)[: len(build_pdf(2)) // 2], "malformed_pdf"),
    ],
)
async def test_unsignable_documents(pki: ThrowawayPki, data: bytes, code: str) -> None:
    with pytest.raises(UnsignableDocument) as error:
        await engine().prepare(
            data,
            certificate=pki.leaf,
            chain=(),
            request_id="r-3",
            reason=None,
            location=None,
            stamp=None,
        )
    assert error.value.code == code


async def test_detached_cades_round_trip(pki: ThrowawayPki) -> None:
    content = "Nội dung tệp đính kèm".encode() * 10
    prepared = prepare_cades(content, certificate=pki.leaf, chain=(pki.issuing,), level="B-B")
    finished = await finish_cades(prepared.state, pki.sign_digest(prepared.to_be_signed), None)
    from asn1crypto import cms

    info = cms.ContentInfo.load(finished.document)
    context = ValidationContext(trust_roots=[pki_root(pki)])
    status = await async_validate_detached_cms(
        content, info["content"], signer_validation_context=context
    )
    assert status.intact and status.valid and status.trusted
    attrs = {a["type"].native for a in info["content"]["signer_infos"][0]["signed_attrs"]}
    assert {"content_type", "message_digest", "signing_time", "signing_certificate_v2"} <= attrs


async def test_the_visible_stamp_writes_vietnamese_inside_its_box(
    pki: ThrowawayPki, tmp_path: Path
) -> None:
    box = (320, 40, 570, 110)
    prepared = await engine().prepare(
        build_pdf(1),
        certificate=pki.leaf,
        chain=(pki.issuing, pki.root),
        request_id="r-stamp",
        reason="Ký",
        location="Hà Nội",
        stamp=Stamp(page=0, box=box),
    )
    finished = await engine().finish(
        prepared.document, prepared.state, pki.sign_digest(prepared.to_be_signed)
    )
    [embedded] = PdfFileReader(BytesIO(finished.document)).embedded_signatures
    status = await async_validate_pdf_signature(
        embedded, signer_validation_context=ValidationContext(trust_roots=[pki_root(pki)])
    )
    assert status.intact and status.valid and status.trusted
    signed = tmp_path / "stamped.pdf"
    signed.write_bytes(finished.document)
    pdfsig = subprocess.run(
        ["pdfsig", str(signed)], capture_output=True, check=False
    ).stdout.decode()
    assert pdfsig.count("Signature is Valid") == 1, pdfsig
    words = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"],
        input=finished.document,
        capture_output=True,
        check=True,
    ).stdout.decode()
    height = 842  # A4, as build_pdf makes it
    lines = {
        match["text"]: (
            float(match["x0"]),
            float(match["y0"]),
            float(match["x1"]),
            float(match["y1"]),
        )
        for match in re.finditer(
            r'<word xMin="(?P<x0>[\d.]+)" yMin="(?P<y0>[\d.]+)" xMax="(?P<x1>[\d.]+)" '
            r'yMax="(?P<y1>[\d.]+)">(?P<text>[^<]*)</word>',
            words,
        )
    }
    signed_by = next(text for text in lines if text.startswith("Ký bởi:"))
    assert signed_by == "Ký bởi: NGUYỄN VĂN A"
    assert any(text.startswith("Thời gian: ") for text in lines)
    for text in (t for t in lines if t.startswith(("Ký bởi:", "Thời gian:"))):
        x0, y0, x1, y1 = lines[text]
        # Letter-spaced text (advance widths read on the wrong grid) runs out of the box.
        assert box[0] <= x0 < x1 <= box[2], (text, lines[text])
        assert height - box[3] <= y0 < y1 <= height - box[1], (text, lines[text])
