"""In-memory stand-ins for the IdP, the session store and the service clients."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hoso_portal.clients.base import Download
from hoso_portal.errors import ApiProblem, NotAllowed, PageNotFound, ServiceDown
from hoso_portal.notices import Notice
from hoso_portal.oidc import RefreshRefused, TokenSet
from hoso_portal.security import new_token, token_hash
from hoso_portal.sessions import PendingLogin, Session, utcnow
from hoso_portal.upload import Upload


class FakeIdp:
    """Hands out one code per authorization request and remembers what the portal sent."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.exchanged: list[dict[str, str]] = []
        self.refresh_ok = True
        self.refreshed = 0
        self.name = "Nguyễn Văn An"
        # Added to the ID token's claims, e.g. an officer's roles and agency.
        self.claims: dict[str, Any] = {}

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
            claims={"sub": "citizen-1", "name": self.name, **self.claims},
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

    async def upload(self, token: str, upload: Upload) -> dict[str, Any]:
        self._check(token)
        data = b"".join([chunk async for chunk in upload.body])
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

    async def validate_upload(self, token: str, upload: Upload) -> dict[str, Any]:
        return {"valid": False, "verdict": "Tài liệu không có chữ ký số.", "signatures": []}


class FakeNotices:
    """The notifications API in memory: a token stands for its person, as the service reads it."""

    def __init__(self) -> None:
        self.notices: dict[str, Notice] = {}
        self.owners: dict[str, str] = {}
        self.tokens: list[str] = []
        self.down = False

    def owner(self, token: str) -> str:
        self.tokens.append(token)
        if self.down:
            raise ServiceDown()
        # the fake IdP's tokens are all the first citizen's unless a test says otherwise
        return self.owners.get(token, "citizen-1")

    async def page(self, token: str, *, page: int, size: int) -> tuple[list[Notice], int]:
        sub = self.owner(token)
        mine = sorted(
            (n for n in self.notices.values() if n.sub == sub),
            key=lambda n: (n.created_at, n.id),
            reverse=True,
        )
        return [replace(n) for n in mine[(page - 1) * size : page * size]], len(mine)

    async def unread(self, token: str) -> int:
        sub = self.owner(token)
        return sum(1 for n in self.notices.values() if n.sub == sub and not n.read)

    async def mark_read(self, token: str, notice_id: str | None = None) -> None:
        sub = self.owner(token)
        for notice in self.notices.values():
            if notice.sub == sub and notice_id in (None, notice.id):
                notice.read = True


SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ho_ten", "noi_cu_tru"],
    "properties": {
        "ho_ten": {"$ref": "#/$defs/ho_ten"},
        "ngay_sinh": {"type": "string", "title": "Ngày sinh", "format": "date-vn"},
        "gioi_tinh": {"type": "string", "title": "Giới tính", "enum": ["Nam", "Nữ"]},
        "noi_cu_tru": {"$ref": "#/$defs/dia_chi", "title": "Nơi cư trú"},
        "qua_trinh": {
            "type": "array",
            "title": "Quá trình cư trú",
            "items": {
                "type": "object",
                "title": "Nơi ở",
                "properties": {"noi_o": {"type": "string", "title": "Nơi ở"}},
            },
        },
        "so_luong": {"type": "integer", "title": "Số lượng"},
    },
    "$defs": {
        "ho_ten": {"type": "string", "title": "Họ, chữ đệm và tên", "minLength": 1},
        "dia_chi": {
            "type": "object",
            "x-address": True,
            "required": ["tinh_thanh", "xa_phuong"],
            "properties": {
                "tinh_thanh": {"type": "string"},
                "xa_phuong": {"type": "string"},
                "dia_chi_chi_tiet": {"type": "string", "title": "Số nhà, đường phố"},
            },
        },
    },
}


@dataclass
class FakeEforms:
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    problem: ApiProblem | None = None
    signed_with: list[str] = field(default_factory=list)

    async def template(self, token: str, code: str) -> dict[str, Any]:
        self.tokens.append(token)
        return {"code": code, "version": 1, "title": "Tờ khai <thử>", "schema": SCHEMA}

    async def template_version(self, token: str, code: str, version: int) -> dict[str, Any]:
        return await self.template(token, code)

    async def provinces(self, token: str) -> list[dict[str, Any]]:
        return [{"code": "01", "name": "Thành phố Hà Nội"}, {"code": "79", "name": "TP HCM"}]

    async def communes(self, token: str, province: str) -> list[dict[str, Any]]:
        return [{"code": province + "001", "name": f"Phường Một ({province})"}]

    async def create(self, token: str, template_code: str, data: dict[str, Any]) -> dict[str, Any]:
        self.tokens.append(token)
        if self.problem:
            raise self.problem
        form_id = f"{len(self.forms) + 1:032x}"
        self.forms[form_id] = {
            "id": form_id,
            "template_code": template_code,
            "template_version": 1,
            "title": "Tờ khai",
            "status": "saved",
            "data": data,
        }
        return self.forms[form_id]

    async def update(self, token: str, form_id: str, data: dict[str, Any]) -> dict[str, Any]:
        self.tokens.append(token)
        if self.problem:
            raise self.problem
        self.forms[form_id]["data"] = data
        return self.forms[form_id]

    async def get(self, token: str, form_id: str) -> dict[str, Any]:
        self.tokens.append(token)
        if form_id not in self.forms:
            raise PageNotFound()
        return copy.deepcopy(self.forms[form_id])

    async def list_signed(self, token: str, template_code: str) -> list[dict[str, Any]]:
        return [f for f in self.forms.values() if f["status"] == "signed"]

    async def sign(self, token: str, form_id: str, provider: str) -> dict[str, Any]:
        self.signed_with.append(provider)
        self.forms[form_id]["status"] = "signing"
        self.forms[form_id]["sign_request_id"] = "req-" + form_id
        return self.forms[form_id]


def dossier(dossier_id: str = "d" * 32, status: int = 0, **extra: Any) -> dict[str, Any]:
    now = datetime(2026, 11, 30, 3, 4, tzinfo=UTC).isoformat()
    return {
        "id": dossier_id,
        "receipt_code": None if status == 0 else "UBND-HNI-261130-0001",
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "agency_code": "UBND-HNI",
        "owner_id": "citizen-1",
        "owner_name": "Nguyễn Văn An",
        "status": status,
        "status_name": {
            0: "Nháp",
            1: "Mới đăng ký",
            4: "Đang xử lý",
            5: "Yêu cầu bổ sung giấy tờ",
            9: "Đã xử lý xong",
            10: "Đã trả kết quả",
        }[status],
        "components": [],
        "history": [],
        "submitted_at": None if status == 0 else now,
        "created_at": now,
        "updated_at": now,
        **extra,
    }


PROCEDURE: dict[str, Any] = {
    "code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field": "Hộ tịch",
    "agency": {"code": "UBND-HNI", "name": "Ủy ban nhân dân cấp xã"},
    "processing_time": {"working_days": 1, "description": "Ngay trong ngày"},
    "fee": {"amount_vnd": 0, "description": "Miễn lệ phí"},
    "components": [
        {
            "code": "TK",
            "name": "Tờ khai đăng ký khai sinh",
            "required": True,
            "sources": ["eform", "upload", "vault"],
            "eform_template": "to-khai-khai-sinh",
            "signature_required": True,
            "file_types": ["pdf"],
            "max_size_bytes": 10485760,
        }
    ],
}


@dataclass
class FakeSubmission:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    submitted: list[tuple[str, str]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    attached: list[tuple[str, str, Any]] = field(default_factory=list)
    # the result (kết quả giải quyết): what the officer did, and the refusals to answer with
    result_calls: list[tuple[str, str, str]] = field(default_factory=list)
    refusals: dict[str, ApiProblem] = field(default_factory=dict)

    reports: dict[str | None, dict[str, Any]] = field(default_factory=dict)

    async def statistics(self, token: str, agency: str | None) -> dict[str, Any]:
        if agency not in self.reports:
            raise NotAllowed("Cán bộ chỉ xem được thống kê của cơ quan mình.")
        self.tokens.append(token)
        return self.reports[agency]

    async def procedures(
        self, token: str, *, q: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        self.tokens.append(token)
        return [PROCEDURE] if not q or "khai" in q else []

    async def procedure(self, token: str, code: str) -> dict[str, Any]:
        if code != PROCEDURE["code"]:
            raise PageNotFound()
        return PROCEDURE

    async def create(self, token: str, procedure_code: str) -> dict[str, Any]:
        self.tokens.append(token)
        created = dossier(f"{len(self.items) + 1:032x}")
        self.items[created["id"]] = created
        return created

    async def dossiers(self, token: str, *, limit: int, offset: int) -> list[dict[str, Any]]:
        self.tokens.append(token)
        return list(self.items.values())[offset : offset + limit]

    async def dossier(self, token: str, dossier_id: str) -> dict[str, Any]:
        self.tokens.append(token)
        if dossier_id not in self.items:
            raise PageNotFound()
        return copy.deepcopy(self.items[dossier_id])

    async def upload(
        self, token: str, dossier_id: str, code: str, upload: Upload
    ) -> dict[str, Any]:
        self.uploads.append(b"".join([chunk async for chunk in upload.body]))
        return self.items[dossier_id]

    async def attach_vault(
        self, token: str, dossier_id: str, code: str, *, document_id: str, version: int, sha256: str
    ) -> dict[str, Any]:
        self.attached.append((dossier_id, code, (document_id, version, sha256)))
        return self.items[dossier_id]

    async def attach_eform(
        self, token: str, dossier_id: str, code: str, form_id: str
    ) -> dict[str, Any]:
        self.attached.append((dossier_id, code, form_id))
        return self.items[dossier_id]

    async def submit(self, token: str, dossier_id: str, idempotency_key: str) -> dict[str, Any]:
        self.tokens.append(token)
        if (dossier_id, idempotency_key) not in self.submitted:
            self.submitted.append((dossier_id, idempotency_key))
            self.items[dossier_id].update(status=1, receipt_code="UBND-HNI-261130-0001")
        return {"dossier_id": dossier_id, "receipt_code": "UBND-HNI-261130-0001"}

    async def withdraw(self, token: str, dossier_id: str, note: str | None) -> dict[str, Any]:
        self.withdrawn.append(dossier_id)
        return self.items[dossier_id]

    def _result_call(self, token: str, dossier_id: str, what: str) -> None:
        self.tokens.append(token)
        self.result_calls.append((dossier_id, what, token))
        if what in self.refusals:
            raise self.refusals[what]

    async def upload_result(self, token: str, dossier_id: str, upload: Upload) -> dict[str, Any]:
        self.uploads.append(b"".join([chunk async for chunk in upload.body]))
        self._result_call(token, dossier_id, "upload")
        return self.items[dossier_id]

    async def sign_result(self, token: str, dossier_id: str, provider: str) -> dict[str, Any]:
        self._result_call(token, dossier_id, f"sign:{provider}")
        return self.items[dossier_id]

    async def act(
        self, token: str, dossier_id: str, action: str, note: str | None = None
    ) -> dict[str, Any]:
        self._result_call(token, dossier_id, action)
        return self.items[dossier_id]
