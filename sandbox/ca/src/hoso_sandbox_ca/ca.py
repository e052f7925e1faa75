"""Everything one sandbox CA process holds, wired from the settings."""

from __future__ import annotations

import logging
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hoso_sandbox_ca.approvals import ApprovalDesk
from hoso_sandbox_ca.citizens import CitizenRegistry
from hoso_sandbox_ca.config import Settings
from hoso_sandbox_ca.domain.ledger import TransactionLedger
from hoso_sandbox_ca.domain.transactions import Provider
from hoso_sandbox_ca.fpt_agreements import AgreementRegistry
from hoso_sandbox_ca.pki.authority import CertificateAuthority
from hoso_sandbox_ca.pki.files import write_atomically
from hoso_sandbox_ca.pki.ocsp import OcspResponder
from hoso_sandbox_ca.pki.tsa import TimeStampAuthority
from hoso_sandbox_ca.tokens import AccessTokens
from hoso_sandbox_ca.webhooks import WebhookNotifier

logger = logging.getLogger(__name__)


def _token_secret(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    secret = secrets.token_bytes(32)
    write_atomically(path, secret, private=True)
    return secret


@dataclass
class SandboxCa:
    settings: Settings
    data_dir: Path
    authority: CertificateAuthority
    ocsp: OcspResponder
    tsa: TimeStampAuthority
    citizens: CitizenRegistry
    ledger: TransactionLedger
    notifier: WebhookNotifier
    desk: ApprovalDesk
    tokens: AccessTokens
    agreements: AgreementRegistry

    @classmethod
    def open(cls, settings: Settings) -> SandboxCa:
        if settings.data_dir:
            data_dir = Path(settings.data_dir)
        else:
            data_dir = Path(tempfile.mkdtemp(prefix="hoso-ca-"))
            logger.warning(
                "HOSO_CA_DATA_DIR unset: PKI in a temp dir, a restart makes a new root",
                extra={"data_dir": str(data_dir)},
            )
        authority = CertificateAuthority(data_dir / "pki", settings.public_url)
        citizens = CitizenRegistry(data_dir / "citizens", authority)
        ledger = TransactionLedger()
        notifier = WebhookNotifier(
            settings.webhook_url_vnpt,
            settings.webhook_secret.get_secret_value().encode(),
            attempts=settings.webhook_attempts,
            backoff_s=settings.webhook_backoff_s,
            concurrency=settings.webhook_concurrency,
            timeout_s=settings.webhook_timeout_s,
        )
        desk = ApprovalDesk(
            ledger,
            citizens,
            notifier,
            ttl_s=settings.request_ttl_s,
            auto_approve_delay_s=settings.auto_approve_delay_s,
            webhook_urls={Provider.FPT: settings.webhook_url_fpt}
            if settings.webhook_url_fpt
            else {},
        )
        logger.info(
            "sandbox CA ready",
            extra={
                "data_dir": str(data_dir),
                "root_serial": format(authority.root.certificate.serial_number, "x"),
                "citizens": len(citizens),
            },
        )
        return cls(
            settings=settings,
            data_dir=data_dir,
            authority=authority,
            ocsp=OcspResponder(authority),
            tsa=TimeStampAuthority(authority.tsa),
            citizens=citizens,
            ledger=ledger,
            notifier=notifier,
            desk=desk,
            tokens=AccessTokens(_token_secret(data_dir / "token.key"), settings.token_ttl_s),
            agreements=AgreementRegistry(data_dir / "fpt-agreements.json"),
        )
