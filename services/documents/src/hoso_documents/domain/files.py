"""File rules: type sniffing from content and filename sanitising."""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from enum import StrEnum


class FileKind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    JPEG = "jpeg"
    PNG = "png"
    XML = "xml"


MEDIA_TYPES: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.XML: "application/xml",
}

EXTENSIONS: dict[str, FileKind] = {
    "pdf": FileKind.PDF,
    "docx": FileKind.DOCX,
    "xlsx": FileKind.XLSX,
    "jpg": FileKind.JPEG,
    "jpeg": FileKind.JPEG,
    "jpe": FileKind.JPEG,
    "png": FileKind.PNG,
    "xml": FileKind.XML,
}

DECLARED_TYPES: dict[str, FileKind] = {
    **{media: kind for kind, media in MEDIA_TYPES.items()},
    "application/x-pdf": FileKind.PDF,
    "image/jpg": FileKind.JPEG,
    "image/pjpeg": FileKind.JPEG,
    "text/xml": FileKind.XML,
}

# Declared types that say nothing about the content, so they cannot contradict it.
NEUTRAL_DECLARED_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# Enough of the head of a file to decide its type, including OOXML's first zip entries.
SNIFF_BYTES = 64 * 1024

_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_OOXML_MAIN_TYPES = {
    b"wordprocessingml.document.main+xml": FileKind.DOCX,
    b"wordprocessingml.template.main+xml": FileKind.DOCX,
    b"spreadsheetml.sheet.main+xml": FileKind.XLSX,
    b"spreadsheetml.template.main+xml": FileKind.XLSX,
}
_XML_NAME_START = re.compile(rb"<[A-Za-z_:]")


def sniff(head: bytes) -> FileKind | None:
    """The supported type the bytes really are, or None when they are none of them."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    # PDF readers accept junk before the header within the first kilobyte.
    if b"%PDF-" in head[:1024]:
        return FileKind.PDF
    if head.startswith(_ZIP_LOCAL_HEADER):
        return _sniff_ooxml(head)
    if _looks_like_xml(head):
        return FileKind.XML
    return None


def _looks_like_xml(head: bytes) -> bool:
    text = head[:1024]
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    text = text.lstrip(b" \t\r\n")
    if text.startswith(b"<?xml"):
        return True
    if not _XML_NAME_START.match(text):
        return False
    return not text[:64].lower().startswith((b"<html", b"<!doctype html"))


@dataclass(frozen=True)
class _ZipEntry:
    name: str
    method: int
    data: bytes


def _zip_entries(head: bytes) -> list[_ZipEntry]:
    """Local file headers found in the head of a zip; sizes may be unknown (streamed zips)."""
    entries: list[_ZipEntry] = []
    offset = 0
    while (offset := head.find(_ZIP_LOCAL_HEADER, offset)) != -1:
        if offset + 30 > len(head):
            break
        (_, _, flags, method, _, _, _, compressed, _, name_len, extra_len) = struct.unpack(
            "<IHHHHHIIIHH", head[offset : offset + 30]
        )
        name_start = offset + 30
        data_start = name_start + name_len + extra_len
        if data_start > len(head):
            break
        name = head[name_start : name_start + name_len].decode("utf-8", "replace")
        known_size = compressed and not flags & 0x08
        data_end = data_start + compressed if known_size else len(head)
        entries.append(_ZipEntry(name=name, method=method, data=head[data_start:data_end]))
        offset = data_end if known_size and data_end > offset else offset + 4
    return entries


def _inflate(entry: _ZipEntry) -> bytes:
    if entry.method == 0:
        return entry.data
    if entry.method != 8:
        return b""
    try:
        return zlib.decompressobj(-15).decompress(entry.data, 256 * 1024)
    except zlib.error:
        return b""


def _sniff_ooxml(head: bytes) -> FileKind | None:
    entries = _zip_entries(head)
    for entry in entries:
        if entry.name == "[Content_Types].xml":
            content_types = _inflate(entry)
            for marker, kind in _OOXML_MAIN_TYPES.items():
                if marker in content_types:
                    return kind
    names = [entry.name for entry in entries]
    # Some writers (openpyxl) put [Content_Types].xml last; the part folders still tell.
    if any(name.startswith("word/") for name in names):
        return FileKind.DOCX
    if any(name.startswith("xl/") for name in names):
        return FileKind.XLSX
    return None


def kind_from_extension(filename: str) -> FileKind | None:
    _, dot, ext = filename.rpartition(".")
    return EXTENSIONS.get(ext.lower()) if dot else None


def has_extension(filename: str) -> bool:
    stem, dot, ext = filename.rpartition(".")
    return bool(dot and stem and ext)


class TypeProblem(StrEnum):
    UNSUPPORTED = "unsupported_type"
    MISMATCH = "type_mismatch"


def check_type(
    sniffed: FileKind | None, filename: str, declared_type: str | None
) -> TypeProblem | None:
    """Whether content, extension and declared media type agree on a supported type."""
    if sniffed is None:
        return TypeProblem.UNSUPPORTED
    if has_extension(filename) and kind_from_extension(filename) != sniffed:
        return TypeProblem.MISMATCH
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in NEUTRAL_DECLARED_TYPES and DECLARED_TYPES.get(declared) != sniffed:
        return TypeProblem.MISMATCH
    return None


MAX_FILENAME_BYTES = 200
DEFAULT_FILENAME = "tai-lieu"
_RESERVED_CHARS = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")


def _drop_invisible(text: str) -> str:
    # Cc are control characters; Cf includes bidi overrides that disguise extensions.
    return "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf"})


def clean_text(value: str) -> str:
    """NFC, no control or format characters, single spaces, trimmed."""
    spaced = _SPACES.sub(" ", unicodedata.normalize("NFC", value))
    return _SPACES.sub(" ", _drop_invisible(spaced)).strip()


def sanitize_filename(raw: str | None) -> str:
    """A filename safe to store and to send back: no path, no control characters, NFC."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = clean_text(name)
    name = _RESERVED_CHARS.sub("_", name)
    name = name.strip(" .")
    while ".." in name:
        name = name.replace("..", ".")
    if not name:
        return DEFAULT_FILENAME
    return _truncate_keeping_extension(name, MAX_FILENAME_BYTES)


def _truncate_keeping_extension(name: str, limit: int) -> str:
    if len(name.encode()) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        stem, dot, ext = name, "", ""
    suffix = f"{dot}{ext}"
    budget = limit - len(suffix.encode())
    encoded = stem.encode()[:budget]
    return encoded.decode("utf-8", "ignore").rstrip(" .") + suffix


def filename_with_extension(filename: str, kind: FileKind) -> str:
    """Give an extension-less name the extension of its sniffed type."""
    if has_extension(filename):
        return filename
    ext = "jpg" if kind is FileKind.JPEG else kind.value
    return f"{filename}.{ext}"
