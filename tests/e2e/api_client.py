"""Small functions, one per platform API call, plus pollers for asynchronous effects.

Every call goes through the gateway, as the portal's would; the CA's phone API stands in
for the citizen's signing app.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from hoso_testing.identity import TestUser

DOCUMENTS = "/api/documents/v1"
EFORMS = "/api/eforms/v1"
SIGNING = "/api/signing/v1"
SUBMISSION = "/api/submission/v1"

Json = dict[str, Any]


# An approval becomes a signed file through a webhook, a Kafka hop, a TSA and an OCSP call;
# on a busy two-core machine that takes tens of seconds, not the usual two.
ASYNC_TIMEOUT_S = 90.0


def _ok(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), (
        f"{response.request.method} {response.request.url} -> "
        f"{response.status_code}: {response.text[:1000]}"
    )
    return response.json() if response.content else None


async def poll(
    fetch: Callable[[], Awaitable[Json]],
    until: Callable[[Json], bool],
    *,
    timeout_s: float = ASYNC_TIMEOUT_S,
    interval_s: float = 0.3,
    what: str = "state",
) -> Json:
    """Call `fetch` until `until` holds; fail with the last value seen after the timeout."""
    deadline = time.monotonic() + timeout_s
    last: Json = {}
    while time.monotonic() < deadline:
        last = await fetch()
        if until(last):
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}; last seen: {last}")


WaitForStatus = Callable[..., Awaitable[Json]]


def status_waiter(
    get: Callable[[httpx.AsyncClient, TestUser, str], Awaitable[Json]],
    what: str,
    status_of: Callable[[Json], Any] = lambda item: item["status"],
) -> WaitForStatus:
    """`wait(api, user, id, statuses, timeout_s=...)`: `get` until `status_of` it is in `statuses`.

    Documents, forms and dossiers' results move through their statuses asynchronously.
    """

    async def wait(
        api: httpx.AsyncClient,
        user: TestUser,
        item_id: str,
        statuses: set[str],
        timeout_s: float = ASYNC_TIMEOUT_S,
    ) -> Json:
        return await poll(
            lambda: get(api, user, item_id),
            lambda item: status_of(item) in statuses,
            timeout_s=timeout_s,
            what=f"{what} {item_id} in {sorted(statuses)}",
        )

    return wait


# -- the sandbox CA: enrolment and the citizen's phone ------------------------------------


async def enroll(ca: httpx.AsyncClient, user: TestUser) -> Json:
    """Give the citizen a signing certificate at the CA (like registering for SmartCA)."""
    response = await ca.post("/sandbox/users", json={"user_id": user.citizen_id, "name": user.name})
    return _ok(response, 200, 201)  # type: ignore[no-any-return]


async def phone_requests(ca: httpx.AsyncClient, user: TestUser, status: str = "pending") -> Any:
    response = await ca.get(
        f"/phone/{user.citizen_id}/requests", params={"status": status}, headers=user.headers
    )
    return _ok(response)


async def wait_for_phone_request(
    ca: httpx.AsyncClient, user: TestUser, document_name: str, timeout_s: float = ASYNC_TIMEOUT_S
) -> Json:
    """The push notification: wait until the request shows up pending on the phone."""

    async def fetch() -> Json:
        pending = await phone_requests(ca, user)
        mine = [r for r in pending if r.get("document_name") == document_name]
        return {"requests": mine}

    found = await poll(
        fetch, lambda s: bool(s["requests"]), timeout_s=timeout_s, what="phone notification"
    )
    return dict(found["requests"][0])


async def approve_on_phone(ca: httpx.AsyncClient, user: TestUser, transaction_id: str) -> Json:
    """ "Đồng ý ký" on the phone, logged in as the citizen (the CA checks the signer's login)."""
    response = await ca.post(f"/phone/requests/{transaction_id}/approve", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def reject_on_phone(ca: httpx.AsyncClient, user: TestUser, transaction_id: str) -> Json:
    response = await ca.post(f"/phone/requests/{transaction_id}/reject", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


# -- documents: the vault ("Hồ sơ điện tử") ----------------------------------------------


async def upload_document(
    api: httpx.AsyncClient,
    user: TestUser,
    *,
    name: str,
    filename: str,
    content: bytes,
    content_type: str = "application/pdf",
    sign: bool = True,
    provider: str = "vnpt-smartca",
) -> Json:
    """ "+ Tải tài liệu mới": name, file, provider, then "Ký số"."""
    fields = {"name": name, "sign": "true" if sign else "false"}
    if sign:
        fields["provider"] = provider
    response = await api.post(
        f"{DOCUMENTS}/documents",
        data=fields,
        files={"file": (filename, content, content_type)},
        headers=user.headers,
    )
    return _ok(response, 201)  # type: ignore[no-any-return]


async def get_document(api: httpx.AsyncClient, user: TestUser, document_id: str) -> Json:
    response = await api.get(f"{DOCUMENTS}/documents/{document_id}", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


wait_for_document = status_waiter(get_document, "document")


async def save_document(api: httpx.AsyncClient, user: TestUser, document_id: str) -> Json:
    """ "Lưu"."""
    response = await api.post(f"{DOCUMENTS}/documents/{document_id}/save", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def list_documents(api: httpx.AsyncClient, user: TestUser) -> Json:
    response = await api.get(f"{DOCUMENTS}/documents", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def download_document(
    api: httpx.AsyncClient, user: TestUser, document_id: str, version: int | None = None
) -> httpx.Response:
    """ "Tải tệp"."""
    params = {"version": version} if version is not None else {}
    response = await api.get(
        f"{DOCUMENTS}/documents/{document_id}/download", params=params, headers=user.headers
    )
    assert response.status_code == 200, response.text[:500]
    return response


async def document_signatures(api: httpx.AsyncClient, user: TestUser, document_id: str) -> Json:
    response = await api.get(
        f"{DOCUMENTS}/documents/{document_id}/signatures", headers=user.headers
    )
    return _ok(response)  # type: ignore[no-any-return]


# -- signing -------------------------------------------------------------------------------


async def validate_file(
    api: httpx.AsyncClient, user: TestUser, content: bytes, filename: str = "tep.pdf"
) -> Json:
    """ "Kiểm tra kết quả ký số" on a file the citizen holds."""
    response = await api.post(
        f"{SIGNING}/validations",
        files={"file": (filename, content, "application/pdf")},
        headers=user.headers,
    )
    return _ok(response)  # type: ignore[no-any-return]


async def sign_request(api: httpx.AsyncClient, user: TestUser, request_id: str) -> Json:
    response = await api.get(f"{SIGNING}/sign-requests/{request_id}", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def wait_for_sign_request(
    api: httpx.AsyncClient,
    user: TestUser,
    request_id: str,
    phases: set[str],
    timeout_s: float = ASYNC_TIMEOUT_S,
) -> Json:
    """The portal's notice: the request exists once signing consumed it, then ends."""

    async def fetch() -> Json:
        response = await api.get(f"{SIGNING}/sign-requests/{request_id}", headers=user.headers)
        if response.status_code == 404:
            return {}
        return _ok(response)  # type: ignore[no-any-return]

    return await poll(
        fetch,
        lambda r: r.get("phase") in phases,
        timeout_s=timeout_s,
        what=f"sign request {request_id} in {phases}",
    )


# -- eforms -------------------------------------------------------------------------------


async def templates_for(api: httpx.AsyncClient, procedure_code: str) -> list[Json]:
    response = await api.get(f"{EFORMS}/templates", params={"procedure_code": procedure_code})
    return _ok(response)  # type: ignore[no-any-return]


async def first_commune(api: httpx.AsyncClient, province: str = "01") -> Json:
    communes = _ok(await api.get(f"{EFORMS}/catalogue/provinces/{province}/communes"))
    return {"tinh_thanh": province, "xa_phuong": communes[0]["code"]}


async def add_form(api: httpx.AsyncClient, user: TestUser, template_code: str, data: Json) -> Json:
    """ "Thêm"."""
    response = await api.post(
        f"{EFORMS}/forms",
        json={"template_code": template_code, "data": data},
        headers=user.headers,
    )
    return _ok(response, 201)  # type: ignore[no-any-return]


async def update_form(api: httpx.AsyncClient, user: TestUser, form_id: str, data: Json) -> Json:
    """ "Cập nhật"."""
    response = await api.put(f"{EFORMS}/forms/{form_id}", json={"data": data}, headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def get_form(api: httpx.AsyncClient, user: TestUser, form_id: str) -> Json:
    response = await api.get(f"{EFORMS}/forms/{form_id}", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def print_form(api: httpx.AsyncClient, user: TestUser, form_id: str) -> httpx.Response:
    """ "In"."""
    response = await api.get(f"{EFORMS}/forms/{form_id}/pdf", headers=user.headers)
    assert response.status_code == 200, response.text[:500]
    return response


async def sign_form(
    api: httpx.AsyncClient, user: TestUser, form_id: str, provider: str = "vnpt-smartca"
) -> Json:
    response = await api.post(
        f"{EFORMS}/forms/{form_id}/sign", json={"provider": provider}, headers=user.headers
    )
    return _ok(response, 202)  # type: ignore[no-any-return]


wait_for_form = status_waiter(get_form, "form")


async def download_signed_form(api: httpx.AsyncClient, user: TestUser, form_id: str) -> bytes:
    response = await api.get(f"{EFORMS}/forms/{form_id}/signed-pdf", headers=user.headers)
    assert response.status_code == 200, response.text[:500]
    return response.content


# -- submission ---------------------------------------------------------------------------


async def search_procedures(api: httpx.AsyncClient, **params: str) -> list[Json]:
    return _ok(await api.get(f"{SUBMISSION}/procedures", params=params))["items"]  # type: ignore[no-any-return]


async def start_dossier(api: httpx.AsyncClient, user: TestUser, procedure_code: str) -> Json:
    """ "Nộp hồ sơ" on a procedure: a draft dossier."""
    response = await api.post(
        f"{SUBMISSION}/dossiers", json={"procedure_code": procedure_code}, headers=user.headers
    )
    return _ok(response, 201)  # type: ignore[no-any-return]


async def attach_from_computer(
    api: httpx.AsyncClient,
    user: TestUser,
    dossier_id: str,
    component: str,
    filename: str,
    content: bytes,
    content_type: str = "application/pdf",
) -> Json:
    """ "Từ máy tính"."""
    response = await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/components/{component}/upload",
        files={"file": (filename, content, content_type)},
        headers=user.headers,
    )
    return _ok(response)  # type: ignore[no-any-return]


async def attach_from_vault(
    api: httpx.AsyncClient,
    user: TestUser,
    dossier_id: str,
    component: str,
    document: Json,
    version: int | None = None,
) -> Json:
    number = version or int(document["current_version"])
    pinned = next(v for v in document["versions"] if v["version"] == number)
    response = await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/components/{component}/vault",
        json={"document_id": document["id"], "version": number, "sha256": pinned["sha256"]},
        headers=user.headers,
    )
    return _ok(response)  # type: ignore[no-any-return]


async def attach_eform(
    api: httpx.AsyncClient, user: TestUser, dossier_id: str, component: str, form_id: str
) -> Json:
    response = await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/components/{component}/eform",
        json={"form_id": form_id},
        headers=user.headers,
    )
    return _ok(response)  # type: ignore[no-any-return]


async def submit_dossier(
    api: httpx.AsyncClient, user: TestUser, dossier_id: str, key: str | None = None
) -> httpx.Response:
    return await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/submit",
        headers={**user.headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


async def get_dossier(api: httpx.AsyncClient, user: TestUser, dossier_id: str) -> Json:
    response = await api.get(f"{SUBMISSION}/dossiers/{dossier_id}", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def lookup_dossier(api: httpx.AsyncClient, user: TestUser, receipt_code: str) -> Json:
    """ "Tra cứu hồ sơ"."""
    response = await api.get(f"{SUBMISSION}/dossiers/lookup/{receipt_code}", headers=user.headers)
    return _ok(response)  # type: ignore[no-any-return]


async def inbox(
    api: httpx.AsyncClient, officer: TestUser, status: int | None = None, q: str | None = None
) -> list[Json]:
    """ "Hồ sơ cần xử lý"; `q` (a receipt code or a name) finds a dossier however long the list."""
    params: dict[str, Any] = {"limit": 100}
    if status is not None:
        params["status"] = status
    if q:
        params["q"] = q
    response = await api.get(f"{SUBMISSION}/inbox", params=params, headers=officer.headers)
    return _ok(response)["items"]  # type: ignore[no-any-return]


async def officer_action(
    api: httpx.AsyncClient, officer: TestUser, dossier_id: str, action: str, note: str | None = None
) -> Json:
    response = await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/actions",
        json={"action": action, "note": note},
        headers=officer.headers,
    )
    return _ok(response)  # type: ignore[no-any-return]


# -- the result (kết quả giải quyết): the officer's signed result, returned to the citizen ---


async def upload_result(
    api: httpx.AsyncClient,
    officer: TestUser,
    dossier_id: str,
    content: bytes,
    filename: str = "ket-qua.pdf",
) -> httpx.Response:
    return await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/result",
        files={"file": (filename, content, "application/pdf")},
        headers=officer.headers,
    )


async def sign_result(
    api: httpx.AsyncClient, officer: TestUser, dossier_id: str, provider: str = "vnpt-smartca"
) -> httpx.Response:
    return await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/result/sign",
        json={"provider": provider},
        headers=officer.headers,
    )


async def act(
    api: httpx.AsyncClient, user: TestUser, dossier_id: str, action: str, note: str | None = None
) -> httpx.Response:
    """An officer's action, answered as it is (the refusals are part of what is tested)."""
    return await api.post(
        f"{SUBMISSION}/dossiers/{dossier_id}/actions",
        json={"action": action, "note": note},
        headers=user.headers,
    )


# The dossier once its result reaches one of `statuses` (SignCompleted is asynchronous).
wait_for_result = status_waiter(
    get_dossier, "result of dossier", lambda d: (d.get("result") or {}).get("status")
)
