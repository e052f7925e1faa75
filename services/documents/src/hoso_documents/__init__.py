"""hoso documents service."""
