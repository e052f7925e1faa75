"""Type sniffing and filename sanitising."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest

from hoso_documents.domain.files import (
    FileKind,
    TypeProblem,
    check_type,
    clean_text,
    filename_with_extension,
    sanitize_filename,
    sniff,
)


def _zip(entries: list[tuple[str, str]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, text in entries:
            archive.writestr(name, text)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<Types><Override PartName="/x" ContentType="application/vnd.openxmlformats-'
    'officedocument.{}.main+xml"/></Types>'
)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", FileKind.PDF),
        (b"\r\n%PDF-1.4\n", FileKind.PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", FileKind.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", FileKind.JPEG),
        (b'<?xml version="1.0"?><a/>', FileKind.XML),
        (b"\xef\xbb\xbf  <hoSo xmlns='urn:x'/>", FileKind.XML),
        (b"MZ\x90\x00", None),
        (b"GIF89a....", None),
        (b"<html><body>hi</body></html>", None),
        (b"<!DOCTYPE html><html>", None),
        (b"just some text", None),
    ],
)
def test_sniff_recognises_magic_bytes(head: bytes, kind: FileKind | None) -> None:
    assert sniff(head) == kind


def test_sniff_docx_from_content_types() -> None:
    data = _zip(
        [
            ("[Content_Types].xml", CONTENT_TYPES.format("wordprocessingml.document")),
            ("word/document.xml", "<w:document/>"),
        ]
    )
    assert sniff(data) is FileKind.DOCX


def test_sniff_xlsx_from_content_types_stored_uncompressed() -> None:
    data = _zip(
        [("[Content_Types].xml", CONTENT_TYPES.format("spreadsheetml.sheet"))],
        compression=zipfile.ZIP_STORED,
    )
    assert sniff(data) is FileKind.XLSX


def test_sniff_xlsx_when_content_types_come_last() -> None:
    data = _zip(
        [
            ("docProps/app.xml", "<Properties/>"),
            ("xl/workbook.xml", "<workbook/>"),
            ("[Content_Types].xml", "<Types/>"),
        ]
    )
    assert sniff(data) is FileKind.XLSX


def test_sniff_refuses_a_plain_zip() -> None:
    assert sniff(_zip([("readme.txt", "hello"), ("data/a.csv", "1,2")])) is None


def test_sniff_truncated_head_of_a_large_docx_still_decides() -> None:
    big = "x" * 500_000
    data = _zip(
        [
            ("[Content_Types].xml", CONTENT_TYPES.format("wordprocessingml.document")),
            ("word/media/big.bin", big),
        ],
        compression=zipfile.ZIP_STORED,
    )
    assert sniff(data[: 64 * 1024]) is FileKind.DOCX


@pytest.mark.parametrize(
    ("kind", "filename", "declared", "problem"),
    [
        (FileKind.PDF, "don.pdf", "application/pdf", None),
        (FileKind.PDF, "don.PDF", None, None),
        (FileKind.PDF, "don", "application/octet-stream", None),
        (FileKind.JPEG, "anh.jpeg", "image/jpg", None),
        (FileKind.XML, "to-khai.xml", "text/xml; charset=utf-8", None),
        (FileKind.PDF, "don.docx", "application/pdf", TypeProblem.MISMATCH),
        (FileKind.PNG, "anh.jpg", None, TypeProblem.MISMATCH),
        (FileKind.PDF, "don.pdf", "image/png", TypeProblem.MISMATCH),
        (FileKind.PDF, "don.exe", None, TypeProblem.MISMATCH),
        (None, "virus.pdf", "application/pdf", TypeProblem.UNSUPPORTED),
    ],
)
def test_check_type(
    kind: FileKind | None, filename: str, declared: str | None, problem: TypeProblem | None
) -> None:
    assert check_type(kind, filename, declared) == problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\an\\Giấy tờ.pdf", "Giấy tờ.pdf"),
        ("bad\x00na\x07me\r\n.pdf", "badname .pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("a<b>c:d|e?f*.pdf", "a_b_c_d_e_f_.pdf"),
        ("..", "tai-lieu"),
        ("", "tai-lieu"),
        (None, "tai-lieu"),
        ("...hidden.pdf", "hidden.pdf"),
        ("  Căn cước   công dân.png  ", "Căn cước công dân.png"),
    ],
)
def test_sanitize_filename(raw: str | None, expected: str) -> None:
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_nfc_normalises_vietnamese() -> None:
    decomposed = unicodedata.normalize("NFD", "Giấy khai sinh Đỗ Thị Hằng.pdf")
    assert decomposed != "Giấy khai sinh Đỗ Thị Hằng.pdf"
    assert sanitize_filename(decomposed) == "Giấy khai sinh Đỗ Thị Hằng.pdf"


def test_sanitize_filename_truncates_by_bytes_keeping_the_extension() -> None:
    name = sanitize_filename("ệ" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 200
    assert set(name[:-4]) == {"ệ"}


def test_clean_text_removes_controls_and_collapses_spaces() -> None:
    assert clean_text("  Giấy\tkhai\x00 sinh \n") == "Giấy khai sinh"


def test_filename_with_extension() -> None:
    assert filename_with_extension("scan", FileKind.JPEG) == "scan.jpg"
    assert filename_with_extension("scan.png", FileKind.PNG) == "scan.png"
