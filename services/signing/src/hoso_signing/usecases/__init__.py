"""The signing use cases, split by responsibility; `hoso_signing.workflow` assembles them."""
