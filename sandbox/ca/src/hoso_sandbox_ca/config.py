"""Settings of the sandbox CA (HOSO_CA_* environment variables)."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from hoso_common.settings import AuthSettings


class Settings(AuthSettings):
    """AuthSettings: the phone checks the citizen's IdP token like the services do."""

    model_config = SettingsConfigDict(env_prefix="HOSO_CA_", extra="ignore", populate_by_name=True)

    service_name: str = "ca"
    data_dir: str | None = Field(
        default=None,
        description="Keeps PKI keys, certificates and citizens (temp dir if unset).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8091",
        description="Base URL for the OCSP, CA-issuers and CRL URLs in certificates.",
    )
    vnpt_sp_id: str = "hoso-sp"
    vnpt_sp_password: SecretStr = SecretStr("hoso-sp-secret")
    viettel_client_id: str = "hoso-client"
    viettel_client_secret: SecretStr = SecretStr("hoso-client-secret")
    webhook_url_vnpt: str = "http://127.0.0.1:8080/api/signing/v1/callbacks/vnpt-smartca"
    webhook_url_fpt: str = Field(
        default="http://127.0.0.1:8080/api/signing/v1/callbacks/fpt-esign",
        description="Where FPT.eSign results are pushed (empty: the relying party polls).",
    )
    fpt_relying_party: str = "HOSO"
    fpt_relying_party_user: str = "hoso-rp"
    fpt_relying_party_password: SecretStr = SecretStr("change-me")
    fpt_relying_party_signature: SecretStr = SecretStr("change-me")
    fpt_relying_party_public_key: str = Field(
        default="",
        description="PEM public key of the relying party (empty: the development key's).",
    )
    fpt_timestamp_window_s: float = Field(
        default=300.0, gt=0, description="How far a call's timestamp may be from now."
    )
    fpt_otp_attempts: int = Field(default=3, ge=1, description="Wrong OTPs before a bill locks.")
    webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    webhook_attempts: int = Field(default=5, ge=1)
    webhook_backoff_s: float = Field(default=0.5, ge=0)
    webhook_concurrency: int = Field(default=64, ge=1)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    request_ttl_s: float = Field(default=300.0, gt=0)
    auto_approve_delay_s: float | None = Field(
        default=None, ge=0, description="Unset: the citizen approves on the phone."
    )
    sweep_interval_s: float = Field(default=1.0, gt=0)
    finished_retention_s: float = Field(
        default=3600.0, gt=0, description="How long finished transactions stay queryable."
    )
    token_ttl_s: int = Field(default=3600, gt=0)
    phone_url: str = Field(
        default="http://127.0.0.1:8080/ca/phone",
        description="Where people open the phone page; the IdP returns to <this>/callback.",
    )
    phone_client_id: str = Field(
        default="sandbox-ca-phone", description="The phone page's client in the IdP's realm."
    )
    phone_oidc_token_url: str = Field(
        default="",
        description="The IdP's token endpoint as this process reaches it (empty: beside "
        "HOSO_OIDC_JWKS_URL, Keycloak's layout).",
    )

    @property
    def phone_token_url(self) -> str:
        if self.phone_oidc_token_url:
            return self.phone_oidc_token_url
        return self.oidc_jwks_url.rsplit("/", 1)[0] + "/token"

    def secrets_to_check(self) -> dict[str, SecretStr]:
        return {
            **super().secrets_to_check(),
            "vnpt_sp_password": self.vnpt_sp_password,
            "viettel_client_secret": self.viettel_client_secret,
            "webhook_secret": self.webhook_secret,
            "fpt_relying_party_password": self.fpt_relying_party_password,
            "fpt_relying_party_signature": self.fpt_relying_party_signature,
        }
