"""Settings of the signing service."""

import os
import socket
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from hoso_common.sandbox_keys import FPT_DEV_RELYING_PARTY_KEY
from hoso_common.settings import PlatformSettings

PadesLevelSetting = Literal["B-B", "B-T", "B-LT", "B-LTA"]


def _default_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_SIGNING_", extra="ignore")

    service_name: str = "signing"
    mongo_database: str = "hoso_signing"
    bucket: str = "hoso-signing"
    replica_id: str = Field(
        default_factory=_default_replica_id,
        description="Name of this replica; owner of the leases it takes.",
    )

    requests_group: str = Field(
        default="signing", description="Consumer group of SignRequested (one per deployment)."
    )
    finisher_group: str = Field(
        default="signing-finisher", description="Consumer group that finishes SignApproved."
    )

    event_source: str | None = Field(
        default=None,
        description="CloudEvents source of emitted events; /hoso/signing when unset.",
    )

    pades_level: PadesLevelSetting = "B-LT"
    bytes_reserved: int = Field(
        default=32768,
        ge=8192,
        description="Hex characters reserved for the CMS container in a PDF signature.",
    )
    signature_field_prefix: str = "HosoSignature"
    stamp_font_path: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    max_input_bytes: int = 64 * 1024 * 1024

    vnpt_base_url: str = "http://127.0.0.1:8091/vnpt"
    vnpt_sp_id: str = "hoso-sp"
    vnpt_sp_password: SecretStr = SecretStr("hoso-sp-secret")
    viettel_base_url: str = "http://127.0.0.1:8091/viettel"
    viettel_client_id: str = "hoso-client"
    viettel_client_secret: SecretStr = SecretStr("hoso-client-secret")
    fpt_base_url: str = "http://127.0.0.1:8091/fpt/eSignCloud/restapi"
    fpt_relying_party: str = Field(default="HOSO", description="Relying-party name at FPT-CA.")
    fpt_relying_party_user: str = "hoso-rp"
    fpt_relying_party_password: SecretStr = SecretStr("change-me")
    fpt_relying_party_signature: SecretStr = Field(
        default=SecretStr("change-me"),
        description="The static signature string FPT-CA issued with the relying-party account.",
    )
    fpt_relying_party_key: SecretStr = Field(
        default=SecretStr(FPT_DEV_RELYING_PARTY_KEY),
        description="PEM RSA private key whose certificate FPT-CA registered for us.",
    )
    fpt_authorize_method: Literal["mobile", "sms", "email"] = Field(
        default="mobile",
        description="mobile: the citizen confirms in the FPT app; sms/email: an OTP in the portal.",
    )
    webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    webhook_window_s: int = 300
    provider_timeout_s: float = 15.0

    trust_roots: str = Field(
        default="http://127.0.0.1:8091/pki/root.pem",
        description="Comma list of PEM file paths or http(s) URLs of trusted root CAs.",
    )
    tsa_url: str = Field(
        default="http://127.0.0.1:8091/pki/tsa", description="RFC 3161 time-stamping authority."
    )
    revocation_cache_s: float = Field(
        default=60.0, description="How long fetched OCSP responses and CRLs are reused."
    )
    certificate_cache_s: float = Field(
        default=600.0, description="How long a signer's certificate from the CA is reused."
    )

    ca_request_ttl_s: float = Field(
        default=300.0, description="How long the CA keeps a request open for approval."
    )
    expiry_margin_s: float = 60.0
    poll_interval_s: float = Field(default=2.0, description="Status polling period per request.")
    vnpt_poll_after_s: float = Field(
        default=20.0, description="Start polling VNPT when no webhook arrived after this long."
    )
    poll_lease_s: float = 15.0
    sweep_interval_s: float = 3.0
    finish_lease_s: float = 60.0
    finish_max_attempts: int = 5
    prepare_timeout_s: float = Field(
        default=600.0, description="Requests stuck before approval this long are failed."
    )
    approved_stale_s: float = Field(
        default=30.0,
        description="Approved requests nobody claimed this long are finished by the sweep.",
    )
    prepared_cache_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description="Memory for prepared documents kept by the replica that prepared them.",
    )
    prepare_concurrency: int = Field(
        default=4, ge=1, description="Documents one replica prepares for the CA at the same time."
    )
    finish_concurrency: int = Field(
        default=12, ge=1, description="Partitions one replica works on at the same time."
    )
    validation_buckets: str = Field(
        default="hoso-documents,hoso-eforms,hoso-signing,hoso-submission",
        description="Buckets whose objects the validation API may read by reference.",
    )

    fetch_allowed_hosts: str = Field(
        default="",
        description="Comma list of host[:port] or URLs of the CAs' OCSP, CRL and issuer "
        "servers. Validation and signing fetch from these only (plus the hosts of trust_roots, "
        "tsa_url and the providers' base URLs), never from a URL a file names otherwise.",
    )

    def fetch_allowed_sources(self) -> list[str]:
        configured = [item.strip() for item in self.fetch_allowed_hosts.split(",")]
        return [
            *(item for item in configured if item),
            *(s for s in self.trust_root_sources() if s.startswith(("http://", "https://"))),
            self.tsa_url,
            self.vnpt_base_url,
            self.viettel_base_url,
        ]

    def validation_bucket_list(self) -> list[str]:
        return [item.strip() for item in self.validation_buckets.split(",") if item.strip()]

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {
            **super().secrets_to_check(),
            "webhook_secret": self.webhook_secret,
            "fpt_relying_party_password": self.fpt_relying_party_password,
            "fpt_relying_party_signature": self.fpt_relying_party_signature,
            "fpt_relying_party_key": self.fpt_relying_party_key,
        }

    def trust_root_sources(self) -> list[str]:
        return [item.strip() for item in self.trust_roots.split(",") if item.strip()]
