"""The gateway's edge as an outside caller sees it: errors, headers, redirects, limits, input."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from hoso_testing.endpoints import Endpoints
from hoso_testing.files import sample_png
from hoso_testing.identity import IdpClient

from . import api_client as portal

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "stack"))
import gateway_policy
from stackctl.gateway import Gateway
from stackctl.parts import App

pytestmark = pytest.mark.e2e
PROBLEM_FIELDS = {"type", "title", "status", "code", "detail"}
ROOT = Path(__file__).resolve().parents[2]
PROCEDURE = "2.000488"  # Cấp Phiếu lý lịch tư pháp, Sở Tư pháp Hà Nội


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    return body


def _assert_secure_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["server"] == "nginx"  # no version
    assert "strict-transport-security" not in response.headers  # production Ingress only


async def _raw(endpoints: Endpoints, request: bytes) -> tuple[int, dict[str, str], bytes]:
    url = httpx.URL(endpoints.gateway_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(65536), 30)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
    return int(lines[0].split()[1]), headers, body


async def test_the_gateways_own_errors_are_problems_with_security_headers(
    gateway: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    response = await gateway.get("/api/no-such-service/v1/things")
    body = _assert_problem(response, 404)
    assert body["detail"] == "Không tìm thấy địa chỉ yêu cầu."
    _assert_secure_headers(response)

    body = _assert_problem(await gateway.get("/api/eforms/" + "a" * 9000), 414)
    assert body["code"] == "uri_too_long"

    big = {"X-Padding": "b" * 20000}
    body = _assert_problem(await gateway.get("/api/eforms/v1/templates", headers=big), 400)
    assert body["code"] == "header_too_large"

    # The declared length is refused before any byte of the body is read.
    status, headers, raw = await _raw(
        endpoints,
        b"POST /api/eforms/v1/forms HTTP/1.1\r\nHost: gateway\r\n"
        b"Content-Type: application/json\r\nContent-Length: 900000000\r\n\r\n",
    )
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    assert b'"code":"payload_too_large"' in raw

    # An answer of a service carries the same headers.
    _assert_secure_headers(await gateway.get("/api/eforms/v1/templates"))


def test_the_gateway_has_a_problem_for_each_error_it_can_make() -> None:
    rendered = Gateway().render()
    compose = (ROOT / "deploy/nginx/gateway.conf").read_text()
    for status in (400, 404, 413, 414, 429, 494, 502, 503, 504):
        body = gateway_policy.problem_body(status)
        assert body in rendered and body in compose, status
    # The same policy in the compose gateway, line by line.
    for line in gateway_policy.http_lines() + gateway_policy.server_lines("$hoso_request_id"):
        assert line in compose, line
    # And the Kubernetes Ingress's error backend, generated from the same table.
    error_backend = ROOT / "deploy/k8s/base/gateway-errors/default.conf"
    assert error_backend.read_text() == gateway_policy.error_backend_conf()


def test_upstream_connections_are_dropped_by_the_gateway_before_the_app_drops_them() -> None:
    # A connection the app closes while nginx still holds it turns the next POST into a 502.
    rendered = Gateway().render()
    assert "keepalive_timeout 60s;" in rendered
    command = App("documents", "hoso_documents", 8101, "services").command()
    assert int(command[command.index("--timeout-keep-alive") + 1]) > 60
    # Every image is built from the one Dockerfile.
    assert "--timeout-keep-alive 75" in (ROOT / "Dockerfile").read_text()


async def test_trailing_slash_redirect_stays_relative_under_the_prefix(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get(
        "/api/documents/v1/documents/?page=2", headers={"Host": "evil.example"}
    )
    assert response.status_code in {301, 307, 308}
    assert response.headers["location"] == "/api/documents/v1/documents?page=2"
    response = await gateway.get("/api/eforms", headers={"Host": "evil.example"})
    assert response.headers["location"] == "/api/eforms/"


async def test_over_the_limit_is_429_problem_with_retry_after(endpoints: Endpoints) -> None:
    # A client address of its own (any 127.x reaches the gateway), so the suite's budget
    # from 127.0.0.1 is untouched. The submit zone allows 10 r/s with a burst of 50.
    transport = httpx.AsyncHTTPTransport(
        local_address="127.0.0.77", limits=httpx.Limits(max_connections=300)
    )
    dossier = uuid.uuid4().hex
    async with httpx.AsyncClient(
        base_url=endpoints.gateway_url, transport=transport, timeout=120
    ) as client:

        async def submit() -> httpx.Response:
            return await client.post(f"/api/submission/v1/dossiers/{dossier}/submit")

        answers = await asyncio.gather(*(submit() for _ in range(300)))
    limited = [r for r in answers if r.status_code == 429]
    assert limited, sorted({r.status_code for r in answers})
    body = _assert_problem(limited[0], 429)
    assert body["code"] == "too_many_requests"
    assert int(limited[0].headers["retry-after"]) >= 1
    # Only the zone's own requests count: the same client may still read.
    async with httpx.AsyncClient(
        base_url=endpoints.gateway_url,
        transport=httpx.AsyncHTTPTransport(local_address="127.0.0.77"),
        timeout=30,
    ) as client:
        assert (await client.get("/api/eforms/v1/templates")).status_code == 200
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=30) as client:
        response = await client.post(f"/api/submission/v1/dossiers/{dossier}/submit")
        assert response.status_code == 401  # this client is not limited


# -- bad input is a 4xx, one test per class ------------------------------------------------


async def test_huge_numbers_are_422(gateway: httpx.AsyncClient, idp: IdpClient) -> None:
    citizen = await idp.citizen()
    for url in [
        f"/api/documents/v1/documents?page={2**63}",
        f"/api/submission/v1/dossiers?offset={2**63}",
        f"/api/submission/v1/dossiers?limit={2**63}",
        f"/api/eforms/v1/templates/to-khai-khai-sinh/versions/{2**70}",
    ]:
        _assert_problem(await gateway.get(url, headers=citizen.headers), 422)


async def test_json_nested_1000_deep_is_refused(gateway: httpx.AsyncClient, idp: IdpClient) -> None:
    citizen = await idp.citizen()
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    headers = {**citizen.headers, "Content-Type": "application/json"}
    for url, body in [
        ("/api/eforms/v1/forms", '{"template_code":"to-khai-khai-sinh","data":' + deep + "}"),
        ("/api/signing/v1/validations", deep),
    ]:
        response = await gateway.post(url, content=body, headers=headers)
        assert response.status_code in {400, 422}, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_object_keys_named_by_a_caller_are_refused_with_a_reason(
    gateway: httpx.AsyncClient, idp: IdpClient
) -> None:
    # A caller never names a stored object: only a capability from the owning service does,
    # and the storage adapter checks the key's shape (test_http_edges.py).
    citizen = await idp.citizen()
    for key in ["/etc/passwd", "../../..", "a/../../b"]:
        response = await gateway.post(
            "/api/signing/v1/validations",
            json={"bucket": "hoso-documents", "key": key},
            headers=citizen.headers,
        )
        body = _assert_problem(response, 403)
        assert body["code"] == "reference_not_allowed"


async def test_ids_out_of_shape_never_reach_another_service(
    gateway: httpx.AsyncClient, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    dossier = await portal.start_dossier(gateway, citizen, PROCEDURE)
    response = await gateway.post(
        f"/api/submission/v1/dossiers/{dossier['id']}/components/CCCD/vault",
        json={"document_id": "../../v1/documents", "version": 1, "sha256": "0" * 64},
        headers=citizen.headers,
    )
    body = _assert_problem(response, 422)
    assert body["errors"][0]["pointer"] == "/document_id"
    _assert_problem(
        await gateway.get("/api/documents/v1/documents/not-an-id", headers=citizen.headers), 422
    )


async def test_signatures_of_a_file_that_cannot_hold_one_are_reported_as_none(
    gateway: httpx.AsyncClient, idp: IdpClient
) -> None:
    citizen = await idp.citizen()
    document = await portal.upload_document(
        gateway,
        citizen,
        name="Ảnh CCCD",
        filename="cccd.png",
        content=sample_png(),
        content_type="image/png",
        sign=False,
    )
    report = await portal.document_signatures(gateway, citizen, document["id"])
    assert report["signature_count"] == 0
    assert report["verdict"] == "Tài liệu không có chữ ký số."
