"""HTTP layer: provider API shapes, the phone, PKI endpoints and benchmark helpers."""
