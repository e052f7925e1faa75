"""Routes of the portal: thin, one template per page."""
