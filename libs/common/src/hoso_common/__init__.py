"""Shared contracts and infrastructure adapters for hoso services."""
