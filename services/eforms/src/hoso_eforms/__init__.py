"""hoso eforms service."""
