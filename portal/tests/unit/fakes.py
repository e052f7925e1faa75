"""In-memory stand-ins for the IdP, the session store and the service clients."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hoso_portal.clients.base import Download
from hoso_portal.errors import ApiProblem, PageNotFound, ServiceDown
from hoso_portal.oidc import RefreshRefused, TokenSet
from hoso_portal.security import new_token, token_hash
from hoso_portal.sessions import PendingLogin, Session, utcnow


class FakeIdp:
    """Hands out one code per authorization request and remembers what the portal sent."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.exchanged: list[dict[str, str]] = []
        self.refresh_ok = True
        self.refreshed = 0
        self.name = "Nguyễn Văn An"

    async def origin(self) -> str:
        return "http://idp.test"

    async def authorization_url(self, *, state: str, nonce: str, code_challenge: str) -> str:
        self.requests.append({"state": state, "nonce": nonce, "challenge": code_challenge})
        return f"http://idp.test/auth?state={state}"

    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> TokenSet:
        self.exchanged.append({"code": code, "verifier": code_verifier, "nonce": nonce})
        return TokenSet(
            access_token="access-" + code,
            access_expires_at=utcnow() + timedelta(minutes=5),
            refresh_token="refresh-" + code,
            refresh_expires_at=utcnow() + timedelta(minutes=30),
            id_token="id-" + code,
            claims={"sub": "citizen-1", "name": self.name},
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        if not self.refresh_ok:
            raise RefreshRefused("invalid_grant")
        self.refreshed += 1
        return TokenSet(
            access_token=f"access-refreshed-{self.refreshed}",
            access_expires_at=utcnow() + timedelta(minutes=5),
            refresh_token=refresh_token + "-next",
            refresh_expires_at=None,
            id_token=None,
            claims={},
        )

    async def end_session_url(self, id_token: str | None) -> str | None:
        return f"http://idp.test/logout?id_token_hint={id_token}"


class FakeStore:
    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.logins: dict[str, PendingLogin] = {}

    async def create(self, session: Session) -> str:
        session_id = new_token()
        self.sessions[token_hash(session_id)] = replace(session)
        return session_id

    async def get(self, session_id: str) -> Session | None:
        session = self.sessions.get(token_hash(session_id))
        if session is None or session.expires_at <= utcnow():
            return None
        return replace(session)

    async def update_tokens(self, session_id: str, session: Session) -> None:
        self.sessions[token_hash(session_id)] = replace(session)

    async def delete(self, session_id: str) -> None:
        self.sessions.pop(token_hash(session_id), None)

    async def start_login(self, login: PendingLogin) -> str:
        login_id = new_token()
        self.logins[token_hash(login_id)] = login
        return login_id

    async def take_login(self, login_id: str) -> PendingLogin | None:
        return self.logins.pop(token_hash(login_id), None)


def document(doc_id: str, name: str, status: str = "draft", **extra: Any) -> dict[str, Any]:
    now = datetime(2026, 11, 30, 3, 4, tzinfo=UTC).isoformat()
    versions: list[dict[str, Any]] = [{"version": 1, "signature": None}]
    if status == "signed":
        versions.append(
            {
                "version": 2,
                "signature": {"signer_name": "NGUYỄN VĂN AN", "signed_at": now},
            }
        )
    return {
        "id": doc_id,
        "name": name,
        "status": status,
        "saved": False,
        "created_at": now,
        "expires_at": now,
        "versions": versions,
        "object": {"filename": "a.pdf", "size": 1234},
        "signing": {"request_id": "req-" + doc_id} if status == "signing" else None,
        "failure": None,
        **extra,
    }


@dataclass
class FakeDocuments:
    items: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    down: bool = False
    upload_problem: ApiProblem | None = None

    def _check(self, token: str) -> None:
        self.tokens.append(token)
        if self.down:
            raise ServiceDown()

    async def list_page(self, token: str, *, page: int, size: int) -> dict[str, Any]:
        self._check(token)
        start = (page - 1) * size
        return {
            "items": copy.deepcopy(self.items[start : start + size]),
            "page": page,
            "size": size,
            "total": len(self.items),
        }

    async def get(self, token: str, document_id: str) -> dict[str, Any]:
        self._check(token)
        for item in self.items:
            if item["id"] == document_id:
                return copy.deepcopy(item)
        raise PageNotFound("Không tìm thấy giấy tờ.")

    async def upload(
        self, token: str, *, content_type: str, body: AsyncIterable[bytes], timeout_s: float
    ) -> dict[str, Any]:
        self._check(token)
        data = b"".join([chunk async for chunk in body])
        self.uploads.append(data)
        if self.upload_problem:
            raise self.upload_problem
        created = document(f"doc{len(self.items) + 1}", "Mới", status="signing")
        self.items.insert(0, created)
        return created

    async def sign(self, token: str, document_id: str, provider: str) -> dict[str, Any]:
        self._check(token)
        return await self.get(token, document_id)

    async def save(self, token: str, document_id: str) -> dict[str, Any]:
        self._check(token)
        self.saved.append(document_id)
        return await self.get(token, document_id)

    async def signatures(self, token: str, document_id: str) -> dict[str, Any]:
        self._check(token)
        return {"valid": True, "verdict": "Hợp lệ.", "signature_count": 0, "signatures": []}

    async def download(self, token: str, document_id: str) -> Download:
        raise PageNotFound()


@dataclass
class FakeSigning:
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    unknown: bool = False
    otps: list[tuple[str, str]] = field(default_factory=list)
    otp_problem: ApiProblem | None = None

    async def providers(self, token: str) -> list[dict[str, Any]]:
        return [
            {"id": "vnpt-smartca", "name": "VNPT-CA (SmartCA)", "approval": "webhook"},
            {"id": "viettel-mysign", "name": "Viettel-CA (MySign)", "approval": "polling"},
        ]

    async def sign_request(self, token: str, request_id: str) -> dict[str, Any]:
        if self.unknown:
            raise PageNotFound("Không tìm thấy yêu cầu ký số.")
        return self.requests.get(
            request_id,
            {
                "request_id": request_id,
                "phase": "pending",
                "provider": "vnpt-smartca",
                "provider_name": "VNPT-CA (SmartCA)",
                "transaction_code": "AB12",
                "expires_at": (utcnow() + timedelta(seconds=125)).isoformat(),
            },
        )

    async def authorize_otp(self, token: str, request_id: str, otp: str) -> dict[str, Any]:
        self.otps.append((request_id, otp))
        if self.otp_problem:
            raise self.otp_problem
        return await self.sign_request(token, request_id)

    async def validate_upload(
        self, token: str, *, content_type: str, body: AsyncIterable[bytes], timeout_s: float
    ) -> dict[str, Any]:
        return {"valid": False, "verdict": "Tài liệu không có chữ ký số.", "signatures": []}
