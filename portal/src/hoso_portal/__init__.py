"""hoso citizen portal."""
