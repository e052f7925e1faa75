"""Test and benchmark support, dev-only: endpoints, real clients, tokens, event watchers.

No runtime member depends on it and no image carries it; `hoso_testing.plugin` is the
pytest plugin that the root's pytest options load.
"""
