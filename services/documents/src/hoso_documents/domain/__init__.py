"""Pure rules of the vault: document model, lifecycle, file checks."""
