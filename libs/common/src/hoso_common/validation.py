"""Shapes every service accepts from callers: bounded numbers, ids, object keys, bounded JSON.

Unbounded input reached MongoDB (8-byte integers), the object store (`../` keys), other
services' URLs (unescaped ids) and recursive code (JSON nested 1,000 deep) and answered 500.
The routes use these types, so a value outside them is a 422 before any of that runs.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Path, Query
from pydantic import AfterValidator, StringConstraints

from hoso_common.errors import BadRequest, Unprocessable

# Far above any real page or version, far below MongoDB's 8-byte integer limit.
MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000
MAX_VERSION = 1_000_000
# Deeper JSON than any form or request body needs; recursive validators and BSON stay safe.
MAX_JSON_DEPTH = 32

PageQuery = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PageSizeQuery = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")]
LimitQuery = PageSizeQuery
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]
VersionPath = Annotated[int, Path(ge=1, le=MAX_VERSION, description="Version number, from 1.")]

# The ids the services mint: uuid4().hex.
HEX_ID_PATTERN = r"^[0-9a-f]{32}$"
HexId = Annotated[str, StringConstraints(pattern=HEX_ID_PATTERN)]
HexIdPath = Annotated[str, Path(pattern=HEX_ID_PATTERN, description="32 hex digits.")]

# Object keys as the platform writes them: relative, '/'-separated, no empty, `.` or `..`
# segment, no control character or backslash (S3 would accept them; the filesystem-backed
# stores and the key prefixes that scope an owner's objects would not).
MAX_OBJECT_KEY_BYTES = 1024
_UNSAFE_KEY_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


def _safe_object_key(key: str) -> str:
    if (
        not key
        or len(key.encode()) > MAX_OBJECT_KEY_BYTES
        or key.startswith("/")
        or _UNSAFE_KEY_CHARS.search(key)
        or any(segment in {"", ".", ".."} for segment in key.split("/"))
    ):
        raise ValueError("not a relative object key without '.' or '..' segments")
    return key


ObjectKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_OBJECT_KEY_BYTES, pattern=r"^[^/]"),
    AfterValidator(_safe_object_key),
]
BUCKET_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
BucketName = Annotated[str, StringConstraints(pattern=BUCKET_PATTERN)]


class InvalidObjectKey(Unprocessable):
    code = "invalid_object_key"
    detail = "Khóa tệp lưu trữ không hợp lệ."


class JsonTooDeep(Unprocessable):
    code = "json_too_deep"
    detail = f"Dữ liệu JSON lồng nhau quá sâu (tối đa {MAX_JSON_DEPTH} cấp)."


class MalformedJson(BadRequest):
    code = "malformed_json"
    detail = "Nội dung JSON không đọc được."


def check_object_key(key: str) -> str:
    """`key` unchanged when it has the shape of a key the platform writes, else 422."""
    try:
        return _safe_object_key(key)
    except ValueError as error:
        raise InvalidObjectKey() from error


def json_depth(value: Any) -> int:
    """Nesting depth of decoded JSON, counted without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def _bounded_depth(value: Any) -> Any:
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded_depth)]
JsonData = Annotated[Any, AfterValidator(_bounded_depth)]


def parse_json(raw: bytes | str) -> Any:
    """Decode a body read by hand: malformed is 400, too deep is 422, never a RecursionError."""
    try:
        value = json.loads(raw)
    except RecursionError as error:
        raise JsonTooDeep() from error
    except ValueError as error:
        raise MalformedJson() from error
    if json_depth(value) > MAX_JSON_DEPTH:
        raise JsonTooDeep()
    return value


def url_segment(value: str) -> str:
    """`value` escaped as one path segment of a URL, so `../x` or `a/b` cannot change the path."""
    return quote(value, safe="")
