"""Pure domain: sign transactions, their states and the in-memory ledger."""
