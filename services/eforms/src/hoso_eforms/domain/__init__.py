"""Pure domain of e-forms: catalogues, formats, templates, validation, rendering rules."""
