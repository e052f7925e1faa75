"""Sandbox remote-signing CA: VNPT SmartCA and Viettel MySign API shapes, phone approval, PKI."""
