"""Settings parsing."""

from __future__ import annotations

import pytest

from hoso_documents.config import Settings, parse_size


@pytest.mark.parametrize(
    ("raw", "size"),
    [("20971520", 20971520), ("20MB", 20 * 1024**2), ("110m", 110 * 1024**2), ("1.5k", 1536)],
)
def test_parse_size(raw: str, size: int) -> None:
    assert parse_size(raw) == size


def test_max_upload_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_DOCUMENTS_MAX_UPLOAD_BYTES", "110MB")
    monkeypatch.setenv("HOSO_DOCUMENTS_DRAFT_TTL_S", "60")
    settings = Settings()
    assert settings.max_upload_bytes == 110 * 1024**2
    assert settings.draft_ttl.total_seconds() == 60


def test_default_limits() -> None:
    settings = Settings()
    assert settings.max_upload_bytes == 20 * 1024**2
    assert settings.draft_ttl_s == 24 * 3600


def test_bad_size_is_refused() -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")
