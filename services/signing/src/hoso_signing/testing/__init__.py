"""Test and benchmark support: sample PDFs and a throwaway PKI standing in for a CA's keys."""
