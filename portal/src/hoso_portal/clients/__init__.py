"""One client module per service API; each maps problem+json to typed errors."""
