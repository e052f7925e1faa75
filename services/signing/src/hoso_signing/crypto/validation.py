"""Checks PAdES and detached CAdES signatures against the trust store ("kiểm tra kết quả ký số")."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from asn1crypto import cms, crl, ocsp, pem
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis.policy_api import ModificationLevel
from pyhanko.sign.validation import async_validate_detached_cms, async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import (
    PdfSignatureStatus,
    SignatureCoverageLevel,
    StandardCMSSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.api import FetchLimits

from hoso_signing.crypto.pki import FetchAllowList, TrustStore, guarded_fetcher_backend, summarize
from hoso_signing.domain.verdicts import (
    Coverage,
    Revocation,
    SignatureFindings,
    SignerInfo,
    TimestampInfo,
    pades_level_of,
)

logger = logging.getLogger(__name__)


class UnreadableInput(Exception):
    """The file or signature cannot be parsed; the caller gets a 4xx with `code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _signer(status: StandardCMSSignatureStatus) -> SignerInfo | None:
    cert = getattr(status, "signing_cert", None)
    if cert is None:
        return None
    summary = summarize(cert)
    return SignerInfo(
        subject=summary.subject,
        common_name=summary.common_name,
        serial_number=summary.serial_number,
        issuer=summary.issuer,
        subject_serial=summary.subject_serial,
    )


def _timestamp(status: StandardCMSSignatureStatus) -> TimestampInfo | None:
    ts = status.timestamp_validity
    if ts is None:
        return None
    tsa = None
    if ts.signing_cert is not None:
        tsa = (
            ts.signing_cert.subject.native.get("common_name")
            or ts.signing_cert.subject.human_friendly
        )
    return TimestampInfo(time=ts.timestamp, tsa=tsa, valid=bool(ts.intact and ts.valid))


def _revocation(status: StandardCMSSignatureStatus, checked: bool) -> Revocation:
    if status.revoked:
        return "revoked"
    if checked and status.trusted:
        return "good"
    return "unknown"


def _chain(status: StandardCMSSignatureStatus) -> list[str]:
    path = status.validation_path
    if path is None:
        return []
    return [cert.subject.human_friendly for cert in path]


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class SignatureValidator:
    def __init__(
        self, trust: TrustStore, *, allowed: FetchAllowList, fetch_revocation: bool = True
    ) -> None:
        self.trust = trust
        self.allowed = allowed
        self.fetch_revocation = fetch_revocation

    async def _context(
        self,
        *,
        other_certs: list[Any],
        ocsps: list[Any],
        crls: list[Any],
    ) -> tuple[ValidationContext, AIOHttpFetcherBackend | None]:
        manager = await self.trust.manager()
        if ocsps or crls or not self.fetch_revocation:
            # Embedded revocation data (PAdES B-LT) is judged as it is: no network.
            context = ValidationContext(
                trust_manager=manager, other_certs=other_certs, ocsps=ocsps, crls=crls
            )
            return context, None
        # The file names the URLs: only the configured CAs' servers are ever asked.
        backend = guarded_fetcher_backend(
            self.allowed, per_request_timeout=5, limits=FetchLimits(max_requests=20)
        )
        context = ValidationContext(
            trust_manager=manager,
            other_certs=other_certs,
            allow_fetching=True,
            fetchers=backend.get_fetchers(),
        )
        return context, backend

    async def validate_pdf(self, data: bytes) -> list[SignatureFindings]:
        if not data.lstrip()[:5].startswith(b"%PDF-"):
            raise UnreadableInput("not_a_pdf", "Tệp tải lên không phải là tệp PDF.")
        try:
            reader = PdfFileReader(BytesIO(data), strict=False)
            encrypted = reader.encrypted
        except Exception as error:
            raise UnreadableInput(
                "malformed_pdf", "Tệp PDF bị lỗi cấu trúc, không đọc được."
            ) from error
        if encrypted:
            raise UnreadableInput(
                "encrypted_pdf", "Tệp PDF được bảo vệ bằng mật khẩu nên không kiểm tra được chữ ký."
            )
        try:
            signatures = list(reader.embedded_regular_signatures)
            doc_timestamps = list(reader.embedded_timestamp_signatures)
            try:
                dss = DocumentSecurityStore.read_dss(reader)
                dss_certs = list(dss.load_certs())
                ocsps, crls = self._dss_revocation(dss)
            except Exception:
                dss_certs, ocsps, crls = [], [], []
        except Exception as error:
            raise UnreadableInput(
                "malformed_pdf", "Tệp PDF bị lỗi cấu trúc, không đọc được."
            ) from error
        findings = []
        for embedded in signatures:
            context, backend = await self._context(other_certs=dss_certs, ocsps=ocsps, crls=crls)
            try:
                status = await async_validate_pdf_signature(
                    embedded, signer_validation_context=context, ts_validation_context=context
                )
            except Exception as error:
                logger.info("signature could not be validated", extra={"error": repr(error)})
                findings.append(self._broken_pdf_signature(embedded.field_name))
                continue
            finally:
                if backend is not None:
                    await backend.close()  # type: ignore[no-untyped-call]
            signed_revision = embedded.signed_revision
            has_doc_ts = any(ts.signed_revision > signed_revision for ts in doc_timestamps)
            findings.append(
                self._pdf_findings(
                    status,
                    field_name=embedded.field_name,
                    revocation_checked=bool(ocsps or crls) or self.fetch_revocation,
                    has_revocation_data=bool(ocsps or crls),
                    has_doc_timestamp=has_doc_ts,
                )
            )
        return findings

    @staticmethod
    def _dss_revocation(dss: DocumentSecurityStore) -> tuple[list[Any], list[Any]]:

        ocsps = [
            ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            for ref in dss.ocsps
        ]
        crls = [
            crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
            for ref in dss.crls
        ]
        return ocsps, crls

    @staticmethod
    def _broken_pdf_signature(field_name: str | None) -> SignatureFindings:
        return SignatureFindings(
            format="pades",
            signer=None,
            intact=False,
            cryptographically_valid=False,
            trusted=False,
            revocation="unknown",
            coverage="unknown",
            changed_after_signing=True,
            modifications_allowed=False,
            signing_time=None,
            timestamp=None,
            pades_level=None,
            field_name=field_name,
            problems=["unreadable_signature"],
        )

    @staticmethod
    def _pdf_findings(
        status: PdfSignatureStatus,
        *,
        field_name: str | None,
        revocation_checked: bool,
        has_revocation_data: bool,
        has_doc_timestamp: bool,
    ) -> SignatureFindings:
        coverage_map: dict[Any, Coverage] = {
            SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
            SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
            SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "partial",
        }
        coverage = coverage_map.get(status.coverage, "unknown")
        level = status.modification_level
        allowed = coverage == "entire_file" or (
            coverage == "entire_revision"
            and level is not None
            and level <= ModificationLevel.FORM_FILLING
            and status.docmdp_ok is not False
        )
        timestamp = _timestamp(status)
        problems = []
        if status.trust_problem_indic is not None:
            problems.append(str(status.trust_problem_indic).lower())
        return SignatureFindings(
            format="pades",
            signer=_signer(status),
            intact=status.intact,
            cryptographically_valid=status.valid,
            trusted=status.trusted,
            revocation=_revocation(status, revocation_checked),
            coverage=coverage,
            # DSS and document timestamps (B-LT/B-LTA) change no content.
            changed_after_signing=coverage != "entire_file"
            and (level is None or level > ModificationLevel.LTA_UPDATES),
            modifications_allowed=allowed,
            signing_time=_aware(status.signer_reported_dt),
            timestamp=timestamp,
            pades_level=pades_level_of(
                has_timestamp=timestamp is not None,
                has_revocation_data=has_revocation_data,
                has_doc_timestamp=has_doc_timestamp,
            ),
            field_name=field_name,
            chain=_chain(status),
            problems=problems,
        )

    async def validate_detached(self, content: bytes, signature: bytes) -> list[SignatureFindings]:
        try:
            if pem.detect(signature):
                _, _, signature = pem.unarmor(signature)
            info = cms.ContentInfo.load(signature)
            if info["content_type"].native != "signed_data":
                raise ValueError("not SignedData")
            signed_data = info["content"]
            signer_infos = list(signed_data["signer_infos"])
            certs = [c.chosen for c in signed_data["certificates"] or []]
        except Exception as error:
            raise UnreadableInput(
                "malformed_signature", "Tệp chữ ký (.p7s) bị lỗi hoặc không đúng định dạng CMS."
            ) from error
        if not signer_infos:
            return []
        context, backend = await self._context(other_certs=certs, ocsps=[], crls=[])
        try:
            status = await async_validate_detached_cms(
                content,
                signed_data,
                signer_validation_context=context,
                ts_validation_context=context,
            )
        except Exception as error:
            raise UnreadableInput(
                "malformed_signature", "Không kiểm tra được tệp chữ ký (.p7s)."
            ) from error
        finally:
            if backend is not None:
                await backend.close()  # type: ignore[no-untyped-call]
        timestamp = _timestamp(status)
        return [
            SignatureFindings(
                format="cades",
                signer=_signer(status),
                intact=status.intact,
                cryptographically_valid=status.valid,
                trusted=status.trusted,
                revocation=_revocation(status, self.fetch_revocation),
                coverage="entire_file" if status.intact else "unknown",
                changed_after_signing=not status.intact,
                modifications_allowed=status.intact,
                signing_time=_aware(status.signer_reported_dt),
                timestamp=timestamp,
                pades_level=None,
                chain=_chain(status),
            )
        ]
