"""Small valid files of each supported type, built in memory."""

from __future__ import annotations

import io
import zipfile


def _pdf_with_xref() -> bytes:
    """A small but complete PDF (with its xref table), one a real signer can prepare."""
    bodies = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)


# Signing requests of these tests reach the platform's signing service too; with a valid
# PDF it prepares them and waits for the citizen, so the documents stay "signing".
PDF = _pdf_with_xref()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
XML = '<?xml version="1.0" encoding="UTF-8"?>\n<hoSo><ten>Giấy tờ</ten></hoSo>\n'.encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def _ooxml(main_type: str, folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/{folder}/main.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.{main_type}.main+xml"/></Types>',
        )
        archive.writestr(f"{folder}/main.xml", "<root/>")
    return buffer.getvalue()


DOCX = _ooxml("wordprocessingml.document", "word")
XLSX = _ooxml("spreadsheetml.sheet", "xl")


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office document")
    return buffer.getvalue()


def encrypted_pdf(password: str = "mat-khau") -> bytes:  # noqa: S107
    """PDF protected with a user password, which no signer can add a signature to."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(PDF)))
    writer.encrypt(password, password)  # type: ignore[no-untyped-call]
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


# Cut short, as an interrupted transfer leaves it: no xref, no trailer, no %%EOF.
TRUNCATED_PDF = PDF[: len(PDF) // 2]
