"""Data files shipped with the service (catalogues)."""
