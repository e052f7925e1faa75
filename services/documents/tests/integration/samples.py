"""Small valid files of each supported type, built in memory."""

from __future__ import annotations

import io
import zipfile

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
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
