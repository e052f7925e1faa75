"""Pure domain of dossiers: catalogue, status machine, receipt codes and submission rules."""
