"""Signing test and benchmark support: sample PDFs, a throwaway PKI standing in for a CA's
keys, and sign requests fed straight onto Kafka."""
