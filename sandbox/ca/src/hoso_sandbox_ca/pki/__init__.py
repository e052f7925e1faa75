"""The sandbox PKI: root, issuing CA, TSA, citizen certificates, CRL, OCSP and timestamps."""
