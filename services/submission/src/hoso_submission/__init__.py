"""hoso submission service."""
