"""Test support shared by every package: endpoints, real clients, tokens, event watchers."""
