"""Sandbox idp."""
