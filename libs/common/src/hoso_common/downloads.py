"""The Content-Disposition of a download: the Vietnamese filename kept, with an ASCII fallback.

One header for every service that hands out files, so a citizen's file arrives under the same
name whichever service stored it.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

FALLBACK_FILENAME = "tai-lieu"
_ATTR_CHARS = "!#$&+-.^_`|~"


def ascii_fallback(filename: str) -> str:
    """The filename spelled in ASCII for clients without RFC 5987 ('Hồ sơ' -> 'Ho so')."""
    text = filename.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in text)
    return text or FALLBACK_FILENAME


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266 header keeping a Vietnamese filename: ASCII fallback plus filename*."""
    kind = "inline" if inline else "attachment"
    fallback = ascii_fallback(filename)
    encoded = quote(filename, safe=_ATTR_CHARS)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
