"""Request and response bodies; provider shapes keep the providers' own field names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

CitizenId = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit citizen id (CCCD).")]
CallerId = Annotated[str, Field(min_length=1, max_length=128)]
SHA256_OID = "2.16.840.1.101.3.4.2.1"


# --- VNPT SmartCA ------------------------------------------------------------------------
class VnptCredentials(BaseModel):
    sp_id: str
    sp_password: str


class VnptCertificateQuery(VnptCredentials):
    user_id: CitizenId


class VnptSignFile(BaseModel):
    data_to_be_signed: str = Field(description="Hex SHA-256 digest to sign.")
    doc_id: str = Field(min_length=1, max_length=256)
    file_type: str = "pdf"
    sign_type: str = "hash"


class VnptSignCreate(VnptCredentials):
    user_id: CitizenId
    transaction_id: CallerId
    transaction_desc: str = Field(default="", max_length=500)
    sign_files: list[VnptSignFile] = Field(min_length=1, max_length=50)
    serial_number: str | None = None


# --- Viettel MySign ----------------------------------------------------------------------
class ViettelLogin(BaseModel):
    client_id: str
    client_secret: str
    user_id: CitizenId


class ViettelTokenPublic(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)
    expires_in: int


class ViettelCertificateQuery(BaseModel):
    user_id: CitizenId


class ViettelSignHashCreate(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    credential_id: str
    client_id: str
    hash_algorithm: str = Field(default=SHA256_OID, alias="hashAlgorithm")
    hashes: list[str] = Field(min_length=1, max_length=50, description="Base64 SHA-256 digests.")
    async_mode: int = Field(default=1, alias="async")
    description: str = Field(default="", max_length=500)
    request_id: CallerId


class ViettelStatusQuery(BaseModel):
    transaction_id: str


# --- phone ---------------------------------------------------------------------------------
class SignRequestPublic(BaseModel):
    transaction_id: str
    provider: str
    doc_id: str
    doc_ids: list[str]
    document_name: str
    tran_code: str
    created_at: str
    expires_at: str
    status: str


class DecisionPublic(BaseModel):
    transaction_id: str
    status: str


# --- sandbox -------------------------------------------------------------------------------
class CitizenCreate(BaseModel):
    user_id: CitizenId
    name: str | None = Field(default=None, min_length=1, max_length=200)


class CitizenPublic(BaseModel):
    user_id: str
    name: str
    serial_number: str
    subject: str
    valid_from: str
    valid_to: str
    revoked: bool
    certificate_pem: str


class RevocationCreate(BaseModel):
    reason: Literal["key_compromise", "superseded", "cessation_of_operation"] | None = None
    reissue: bool = Field(
        default=False, description="Also issue a new key and certificate to the citizen."
    )


class AutoApproveUpdate(BaseModel):
    delay_s: float | None = Field(default=None, ge=0)


class AutoApprovePublic(BaseModel):
    delay_s: float | None


class RequestTtlUpdate(BaseModel):
    ttl_s: float = Field(gt=0, le=3600, description="Lifetime of requests opened from now on.")


class RequestTtlPublic(BaseModel):
    ttl_s: float


class ApproveAllPublic(BaseModel):
    approved: int


class SandboxStatsPublic(BaseModel):
    citizens: int
    transactions: int
    pending: int
    webhooks_delivered: int
    webhooks_failed: int
    webhooks_in_flight: int
    auto_approve_delay_s: float | None
