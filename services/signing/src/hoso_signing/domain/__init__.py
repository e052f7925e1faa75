"""Pure domain of signing: sign request states, transitions and user-facing texts."""
