"""Where a document's objects live in the bucket; deterministic so retries overwrite, not add."""

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def owner_prefix(owner_id: str) -> str:
    return _UNSAFE.sub("_", owner_id) or "_"


def document_prefix(owner_id: str, document_id: str) -> str:
    return f"{owner_prefix(owner_id)}/{document_id}/"


def version_key(owner_id: str, document_id: str, version: int) -> str:
    return f"{document_prefix(owner_id, document_id)}v{version}"


def signature_key(owner_id: str, document_id: str, version: int) -> str:
    return f"{document_prefix(owner_id, document_id)}v{version}.p7s"
