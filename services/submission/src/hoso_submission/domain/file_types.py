"""File types a dossier component accepts, recognised from their first bytes."""

from __future__ import annotations

from typing import Literal

FileType = Literal["pdf", "jpg", "png"]

MEDIA_TYPES: dict[FileType, str] = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
}
EXTENSIONS: dict[str, FileType] = {
    ".pdf": "pdf",
    ".jpg": "jpg",
    ".jpeg": "jpg",
    ".png": "png",
}
# Bytes needed to recognise every type above.
SNIFF_BYTES = 16


def sniff(head: bytes) -> FileType | None:
    """The type the bytes really are, whatever the file name or declared type says."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    return None


def type_of_media(media_type: str | None) -> FileType | None:
    """The file type of a stored object's media type (as another service sniffed it)."""
    base = (media_type or "").split(";")[0].strip().lower()
    for file_type, known in MEDIA_TYPES.items():
        if known == base:
            return file_type
    return None


def type_of_name(filename: str) -> FileType | None:
    """The type a file name claims by its extension, if it is one we know."""
    dot = filename.rfind(".")
    return EXTENSIONS.get(filename[dot:].lower()) if dot >= 0 else None
