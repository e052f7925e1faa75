"""hoso notifications service."""
