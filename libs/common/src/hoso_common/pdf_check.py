"""Whether pyHanko can sign a PDF: checked when signing is asked for, and again by signing.

It needs pyHanko, a dependency of the services that sign or ask for signing (documents,
eforms, signing).
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter


@dataclass(frozen=True)
class PdfProblem:
    """Why a PDF cannot be signed: a stable code and what the citizen reads."""

    code: str
    message: str


NOT_A_PDF = PdfProblem("not_a_pdf", "Tệp không phải là tệp PDF hợp lệ nên không ký số được.")
ENCRYPTED_PDF = PdfProblem(
    "encrypted_pdf",
    "Tệp PDF được đặt mật khẩu (mã hóa) nên không ký số được. "
    "Vui lòng bỏ mật khẩu rồi tải lên lại.",
)
MALFORMED_PDF = PdfProblem(
    "malformed_pdf",
    "Tệp PDF bị hỏng hoặc không đầy đủ (ví dụ bị cắt ngang khi tải lên) nên không ký số được. "
    "Vui lòng tải lên lại tệp gốc.",
)
PROBLEMS = {p.code: p for p in (NOT_A_PDF, ENCRYPTED_PDF, MALFORMED_PDF)}


def open_for_signing(data: bytes) -> IncrementalPdfFileWriter | PdfProblem:
    """The writer a signature is added with, or why there can be none."""
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        return NOT_A_PDF
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    except Exception:  # pyHanko raises many types on broken input
        return MALFORMED_PDF
    if writer.security_handler is not None or writer.prev.encrypted:
        return ENCRYPTED_PDF
    try:
        writer.root["/Pages"]
    except Exception:
        return MALFORMED_PDF
    return writer


def signing_problem(data: bytes) -> PdfProblem | None:
    """None when the PDF can be signed; otherwise the problem to tell the citizen."""
    opened = open_for_signing(data)
    return opened if isinstance(opened, PdfProblem) else None
