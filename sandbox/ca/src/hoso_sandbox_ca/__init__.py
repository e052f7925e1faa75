"""Sandbox ca."""
