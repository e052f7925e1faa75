"""FPT.eSign SignCloud response codes, one list for the signing client and the sandbox CA.

0 and 1007 are public; the others are the ones hoso's client and the local sandbox agree on.
"""

from __future__ import annotations


class SignCloudCode:
    SUCCESS = 0
    CREDENTIALS_INVALID = 1001
    RELYING_PARTY_SIGNATURE_INVALID = 1002
    TIMESTAMP_INVALID = 1003
    AGREEMENT_NOT_FOUND = 1004
    OTP_INVALID = 1005
    OTP_LOCKED = 1006
    WAITING_AUTHORIZATION = 1007
    BILL_NOT_FOUND = 1008
    AUTHORIZATION_EXPIRED = 1009
    REJECTED_BY_SIGNER = 1010
    CERTIFICATE_REVOKED = 1011
    CERTIFICATE_EXPIRED = 1012
    REQUEST_INVALID = 1013
    WAITING_MOBILE_CONFIRMATION = 1018
