"""The signature mechanics, apart from the workflow: PAdES and CAdES signing, the PKI the
signing and validation rely on (trust roots, time-stamping, revocation), and validation."""
