"""PAdES through pyHanko's interrupted signing: prepare once, finish later in any replica."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import cms, crl, ocsp, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import load_der_x509_certificate
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import ExternalSigner, PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import (
    PdfTBSDocument,
    PostSignInstructions,
    PreSignValidationStatus,
)
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from hoso_common.pdf_check import PdfProblem, open_for_signing
from hoso_signing.config import Settings
from hoso_signing.crypto.pki import (
    HttpxTimeStamper,
    RevocationCache,
    TrustStore,
    path_from_ders,
    path_to_ders,
    signing_context,
)
from hoso_signing.domain.verdicts import format_vietnam_time

logger = logging.getLogger(__name__)

MD_ALGORITHM = "sha256"
WITH_TIMESTAMP = ("B-T", "B-LT", "B-LTA")
WITH_REVOCATION = ("B-LT", "B-LTA")


class UnsignableDocument(Exception):
    """The input cannot be signed; retrying will not help."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidProviderSignature(Exception):
    """The CA returned a signature that does not verify with the signer's certificate."""


@dataclass(frozen=True)
class Stamp:
    page: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class PreparedSignature:
    """A document waiting for the CA: the bytes with the reserved hole and the state to finish."""

    document: bytes
    to_be_signed: bytes
    state: dict[str, Any]


@dataclass(frozen=True)
class FinishedSignature:
    document: bytes
    signed_at: datetime
    level: str


def verify_raw_signature(cert_der: bytes, message: bytes, signature: bytes) -> None:
    """Refuse a CA answer that is not an RSA PKCS#1 v1.5 SHA-256 signature of `message`."""
    public_key = load_der_x509_certificate(cert_der).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidProviderSignature("only RSA signer keys are supported")
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise InvalidProviderSignature("signature does not match the signed attributes") from error


def timestamp_time(signed_data_info: cms.ContentInfo) -> datetime | None:
    """The time in the signature timestamp token of a CMS signature, if it carries one."""
    signer_info = signed_data_info["content"]["signer_infos"][0]
    unsigned = signer_info["unsigned_attrs"]
    # No `.native` on the attributes: converting a whole timestamp token costs ~300 ms.
    if not isinstance(unsigned, cms.CMSAttributes):
        return None
    for attr in unsigned:
        if attr["type"].native == "signature_time_stamp_token":
            token = attr["values"][0]
            tst_info = token["content"]["encap_content_info"]["content"].parsed
            moment: datetime = tst_info["gen_time"].native
            return moment
    return None


def font_at_1000_upem(path: str) -> str:
    """The font at `path`, rescaled to 1000 units per em, as a file (made once, then reused).

    pyHanko writes a font's advance widths into the PDF (`/W`, and its kerning adjustments)
    in the font's own units, while PDF reads them in thousandths of an em. Fonts drawn on
    another grid (DejaVu Sans uses 2048) then come out letter-spaced and run out of the stamp,
    and the widths disagree with the embedded font program.
    """
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "hoso-stamp-fonts" / f"{digest}-upem1000.ttf"
    if target.exists():
        return str(target)
    font = TTFont(BytesIO(data))
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    font.save(str(partial))
    partial.replace(target)
    return str(target)


class PadesEngine:
    """Prepares and finishes PAdES signatures at a configured baseline level."""

    def __init__(
        self,
        *,
        level: str,
        bytes_reserved: int,
        trust: TrustStore,
        timestamper: HttpxTimeStamper,
        revocation: RevocationCache,
        font_path: str,
        field_prefix: str = "HosoSignature",
    ) -> None:
        self.level = level
        self.bytes_reserved = bytes_reserved
        self.trust = trust
        self.timestamper = timestamper
        self.revocation = revocation
        self.font_path = font_path
        self.field_prefix = field_prefix
        self._font: GlyphAccumulatorFactory | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        trust: TrustStore,
        timestamper: HttpxTimeStamper,
        revocation: RevocationCache,
    ) -> PadesEngine:
        return cls(
            level=settings.pades_level,
            bytes_reserved=settings.bytes_reserved,
            trust=trust,
            timestamper=timestamper,
            revocation=revocation,
            font_path=settings.stamp_font_path,
            field_prefix=settings.signature_field_prefix,
        )

    async def _stamp_style(self) -> TextStampStyle:
        if self._font is None:
            font_file = await asyncio.to_thread(font_at_1000_upem, self.font_path)
            self._font = GlyphAccumulatorFactory(font_file, font_size=9)
        return TextStampStyle(
            stamp_text="Ký bởi: %(signer_vi)s\nThời gian: %(time_vi)s",
            text_box_style=TextBoxStyle(font=self._font),
            border_width=1,
        )

    async def prepare(
        self,
        pdf: bytes,
        *,
        certificate: bytes,
        chain: tuple[bytes, ...],
        request_id: str,
        reason: str | None,
        location: str | None,
        stamp: Stamp | None,
    ) -> PreparedSignature:
        cert = x509.Certificate.load(certificate)
        chain_certs = [x509.Certificate.load(der) for der in chain]
        writer = self._open(pdf)
        field_name = f"{self.field_prefix}-{request_id.replace('-', '')[:32]}"
        context: ValidationContext | None = None
        if self.level in WITH_REVOCATION:
            context = await signing_context(
                self.trust, other_certs=chain_certs, revocation=self.revocation
            )
        signer = ExternalSigner(
            cert,
            SimpleCertificateStore.from_certs(chain_certs),  # type: ignore[no-untyped-call]
            signature_value=256,
        )
        meta = PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=MD_ALGORITHM,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            embed_validation_info=context is not None,
            validation_context=context,
            use_pades_lta=self.level == "B-LTA",
        )
        field_spec = None
        text_params = None
        stamp_style = None
        if stamp is not None:
            field_spec = fields.SigFieldSpec(
                sig_field_name=field_name, on_page=stamp.page, box=stamp.box
            )
            stamp_style = await self._stamp_style()
            text_params = {
                "signer_vi": cert.subject.native.get("common_name", ""),
                "time_vi": format_vietnam_time(datetime.now(UTC)),
            }
        pdf_signer = PdfSigner(
            meta,
            signer=signer,
            timestamper=self.timestamper if self.level in WITH_TIMESTAMP else None,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
        )
        try:
            digest, tbs, output = await pdf_signer.async_digest_doc_for_signing(
                writer, bytes_reserved=self.bytes_reserved, appearance_text_params=text_params
            )
        except SigningError as error:
            raise UnsignableDocument("cannot_prepare", str(error)) from error
        except (PdfError, ValueError, KeyError, IndexError, TypeError) as error:
            raise UnsignableDocument(
                "malformed_pdf", f"cannot prepare this PDF: {error!r}"
            ) from error
        signed_attrs = await signer.signed_attrs(
            digest.document_digest, MD_ALGORITHM, use_pades=True
        )
        signed_attrs_der = signed_attrs.dump()
        state: dict[str, Any] = {
            "format": "pades",
            "level": self.level,
            "field_name": field_name,
            "document_digest": digest.document_digest,
            "reserved_region_start": digest.reserved_region_start,
            "reserved_region_end": digest.reserved_region_end,
            "signed_attrs": signed_attrs_der,
            "certificate": certificate,
            "chain": list(chain),
            "prepared_at": datetime.now(UTC),
        }
        info = tbs.post_sign_instructions.validation_info if tbs.post_sign_instructions else None
        if info is not None:
            # Wrapped in objects: FerretDB cannot store nested arrays.
            state["validation_paths"] = [{"certs": path_to_ders(p)} for p in info.validation_paths]
            state["ocsps"] = [item.dump() for item in info.ocsps_to_embed]
            state["crls"] = [item.dump() for item in info.crls_to_embed]
        document = output.getvalue() if isinstance(output, BytesIO) else output.read()
        return PreparedSignature(
            document=document,
            to_be_signed=hashlib.sha256(signed_attrs_der).digest(),
            state=state,
        )

    @staticmethod
    def _open(pdf: bytes) -> IncrementalPdfFileWriter:
        opened = open_for_signing(pdf)
        if isinstance(opened, PdfProblem):
            raise UnsignableDocument(opened.code, opened.message)
        return opened

    async def finish(
        self, document: bytes, state: dict[str, Any], signature_value: bytes
    ) -> FinishedSignature:
        level = str(state["level"])
        certificate = bytes(state["certificate"])
        chain = [x509.Certificate.load(bytes(der)) for der in state["chain"]]
        signed_attrs_der = bytes(state["signed_attrs"])
        verify_raw_signature(certificate, signed_attrs_der, signature_value)
        signer = ExternalSigner(
            x509.Certificate.load(certificate),
            SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
            signature_value=signature_value,
        )
        signature_cms = await signer.async_sign_prescribed_attributes(
            MD_ALGORITHM,
            signed_attrs=cms.CMSAttributes.load(signed_attrs_der),
            timestamper=self.timestamper if level in WITH_TIMESTAMP else None,
        )
        prepared_digest = PreparedByteRangeDigest(
            document_digest=bytes(state["document_digest"]),
            reserved_region_start=int(state["reserved_region_start"]),
            reserved_region_end=int(state["reserved_region_end"]),
        )
        instructions = None
        context = None
        if level in WITH_REVOCATION:
            paths = [
                path_from_ders([bytes(d) for d in p["certs"]])
                for p in state.get("validation_paths", [])
            ]
            ocsps = [ocsp.OCSPResponse.load(bytes(d)) for d in state.get("ocsps", [])]
            crls = [crl.CertificateList.load(bytes(d)) for d in state.get("crls", [])]
            instructions = PostSignInstructions(
                validation_info=PreSignValidationStatus(
                    signer_path=paths[0],
                    validation_paths=paths,
                    ocsps_to_embed=ocsps,
                    crls_to_embed=crls,
                ),
                timestamper=self.timestamper if level == "B-LTA" else None,
                timestamp_md_algorithm=MD_ALGORITHM,
            )
            if level == "B-LTA":
                # Only the document timestamp needs a context (to validate the TSA). It
                # gets its own parsed copies: asn1crypto re-encodes objects another reader
                # has touched, which made the DSS write cost hundreds of milliseconds.
                context = ValidationContext(
                    trust_manager=await self.trust.manager(),
                    other_certs=chain,
                    ocsps=[bytes(d) for d in state.get("ocsps", [])],
                    crls=[bytes(d) for d in state.get("crls", [])],
                )
        output = BytesIO(document)
        await PdfTBSDocument.async_finish_signing(
            output,
            prepared_digest,
            signature_cms,
            post_sign_instr=instructions,
            validation_context=context,
        )
        signed_at = timestamp_time(signature_cms) or state["prepared_at"]
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=UTC)
        return FinishedSignature(document=output.getvalue(), signed_at=signed_at, level=level)
