"""Sandbox-only controls: enroll and revoke citizens, auto-approve, approve-all, stats."""

from __future__ import annotations

from typing import Annotated

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Query, Response

from hoso_sandbox_ca.api.deps import CaDep
from hoso_sandbox_ca.api.problems import CitizenNotFound
from hoso_sandbox_ca.api.schemas import (
    ApproveAllPublic,
    AutoApprovePublic,
    AutoApproveUpdate,
    CitizenCreate,
    CitizenPublic,
    RequestTtlPublic,
    RequestTtlUpdate,
    RevocationCreate,
    SandboxStatsPublic,
)
from hoso_sandbox_ca.ca import SandboxCa
from hoso_sandbox_ca.citizens import Citizen

router = APIRouter(prefix="/sandbox", tags=["sandbox"])

REASONS = {
    "key_compromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
}


def citizen_public(ca: SandboxCa, citizen: Citizen) -> CitizenPublic:
    certificate = citizen.certificate
    return CitizenPublic(
        user_id=citizen.user_id,
        name=citizen.name,
        serial_number=citizen.serial_hex,
        subject=citizen.subject_dn,
        valid_from=certificate.not_valid_before_utc.isoformat(),
        valid_to=certificate.not_valid_after_utc.isoformat(),
        revoked=ca.citizens.is_revoked(citizen),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


@router.post("/users")
async def enroll(body: CitizenCreate, ca: CaDep, response: Response) -> CitizenPublic:
    """Enroll a citizen and issue their certificate (idempotent: 201 new, 200 existing)."""
    citizen, created = await ca.citizens.enroll(body.user_id, body.name)
    response.status_code = 201 if created else 200
    return citizen_public(ca, citizen)


@router.get("/users/{user_id}")
async def get_user(user_id: str, ca: CaDep) -> CitizenPublic:
    """An enrolled citizen and their current certificate."""
    citizen = ca.citizens.get(user_id)
    if citizen is None:
        raise CitizenNotFound()
    return citizen_public(ca, citizen)


@router.post("/users/{user_id}/revoke")
async def revoke(user_id: str, ca: CaDep, body: RevocationCreate | None = None) -> CitizenPublic:
    """Revoke the citizen's current certificate (OCSP says revoked, the CRL lists it)."""
    body = body or RevocationCreate()
    citizen = ca.citizens.get(user_id)
    if citizen is None:
        raise CitizenNotFound()
    ca.authority.revoke(
        citizen.certificate.serial_number, REASONS[body.reason] if body.reason else None
    )
    if body.reissue:
        citizen = await ca.citizens.reissue(user_id)
    return citizen_public(ca, citizen)


@router.post("/auto-approve")
async def set_auto_approve(body: AutoApproveUpdate, ca: CaDep) -> AutoApprovePublic:
    """Approve new requests by themselves after `delay_s` seconds (null: wait for the phone)."""
    ca.desk.auto_approve_delay_s = body.delay_s
    return AutoApprovePublic(delay_s=body.delay_s)


@router.get("/request-ttl")
async def get_request_ttl(ca: CaDep) -> RequestTtlPublic:
    """How long new sign requests wait for the citizen before they expire."""
    return RequestTtlPublic(ttl_s=ca.desk.ttl_s)


@router.post("/request-ttl")
async def set_request_ttl(body: RequestTtlUpdate, ca: CaDep) -> RequestTtlPublic:
    """Change the lifetime of requests opened from now on (tests of the expiry path)."""
    ca.desk.ttl_s = body.ttl_s
    return RequestTtlPublic(ttl_s=body.ttl_s)


@router.post("/approve-all")
async def approve_all(
    ca: CaDep, wait: Annotated[bool, Query(description="Wait for the webhooks.")] = False
) -> ApproveAllPublic:
    """Approve every pending request at once; webhooks go out concurrently (bounded)."""
    approved = await ca.desk.approve_all()
    if wait:
        await ca.notifier.drain(timeout_s=120)
    return ApproveAllPublic(approved=approved)


@router.get("/stats")
async def stats(ca: CaDep) -> SandboxStatsPublic:
    """Counters for benchmarks."""
    return SandboxStatsPublic(
        citizens=len(ca.citizens),
        transactions=len(ca.ledger),
        pending=ca.ledger.pending_count,
        webhooks_delivered=ca.notifier.delivered,
        webhooks_failed=ca.notifier.failed,
        webhooks_in_flight=ca.notifier.in_flight,
        auto_approve_delay_s=ca.desk.auto_approve_delay_s,
    )
