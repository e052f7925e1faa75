"""What every service app does at the HTTP edge: 500s, redirects, OpenAPI problems, bounds."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from hoso_common.auth import CurrentUser
from hoso_common.errors import install_error_handlers
from hoso_common.openapi import document_problems
from hoso_common.redirects import RelativeRedirectMiddleware
from hoso_common.validation import (
    MAX_JSON_DEPTH,
    HexIdPath,
    InvalidObjectKey,
    JsonObject,
    JsonTooDeep,
    MalformedJson,
    ObjectKey,
    OffsetQuery,
    PageQuery,
    VersionPath,
    check_object_key,
    parse_json,
    url_segment,
)
from hoso_testing.server import serve_app


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RelativeRedirectMiddleware)
    document_problems(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    @app.post("/ok")
    async def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/v1/items")
    async def items(page: PageQuery = 1, offset: OffsetQuery = 0) -> dict[str, int]:
        return {"page": page, "offset": offset}

    @app.get("/v1/items/{item_id}/versions/{version}")
    async def item_version(item_id: HexIdPath, version: VersionPath) -> dict[str, Any]:
        return {"id": item_id, "version": version}

    @app.post("/v1/mine")
    async def mine(user: CurrentUser, limit: Annotated[int, Query(le=5)] = 1) -> None:
        return None

    return app


async def _exchange(request: bytes, reader: Any, writer: Any) -> bytes:
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await asyncio.wait_for(reader.readexactly(length), 5)
    return bytes(head)


async def test_a_500_keeps_the_keepalive_connection_for_the_next_request() -> None:
    # The gateway reuses upstream connections; one closed after a 500 made its next POST a 502.
    async with serve_app(_app()) as url:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            host = f"Host: 127.0.0.1:{port}\r\n"
            head = await _exchange(f"GET /boom HTTP/1.1\r\n{host}\r\n".encode(), reader, writer)
            assert head.startswith(b"HTTP/1.1 500")
            assert b"application/problem+json" in head
            for _ in range(3):
                request = f"POST /ok HTTP/1.1\r\n{host}Content-Length: 0\r\n\r\n".encode()
                head = await _exchange(request, reader, writer)
                assert head.startswith(b"HTTP/1.1 200")
        finally:
            writer.close()


def test_trailing_slash_redirect_is_relative_and_keeps_the_gateway_prefix() -> None:
    client = TestClient(_app(), base_url="http://evil.example")
    response = client.get(
        "/v1/items/?page=2",
        headers={"X-Forwarded-Prefix": "/api/documents"},
        follow_redirects=False,
    )
    assert response.status_code == 307
    assert response.headers["location"] == "/api/documents/v1/items?page=2"
    # A prefix that is not one the gateway sets is ignored, never echoed.
    response = client.get(
        "/v1/items/", headers={"X-Forwarded-Prefix": "//evil.example"}, follow_redirects=False
    )
    assert response.headers["location"] == "/v1/items"


def test_every_operation_declares_its_problem_responses() -> None:
    schema = TestClient(_app()).get("/openapi.json").json()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ("400", "404", "422", "429", "500", "502", "503", "504"):
                assert responses[status]["content"] == problem, (path, method, status)
            assert "Retry-After" in responses["429"]["headers"]
    secured = schema["paths"]["/v1/mine"]["post"]["responses"]
    assert {"401", "403", "409", "415"} <= set(secured)
    assert "401" not in schema["paths"]["/v1/items"]["get"]["responses"]
    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "code",
        "detail",
    ]


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/items?page={2**63}",
        f"/v1/items?offset={2**63}",
        "/v1/items?page=0",
        f"/v1/items/{'a' * 32}/versions/{2**70}",
        "/v1/items/..-..-v1-documents/versions/1",
    ],
)
def test_numbers_and_ids_out_of_shape_are_422(url: str) -> None:
    response = TestClient(_app()).get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_bounded_numbers_are_declared_in_the_openapi_document() -> None:
    schema = TestClient(_app()).get("/openapi.json").json()
    params = schema["paths"]["/v1/items/{item_id}/versions/{version}"]["get"]["parameters"]
    assert {p["name"]: p["schema"].get("maximum") for p in params} == {
        "item_id": None,
        "version": 1_000_000,
    }


@pytest.mark.parametrize(
    "key", ["/etc/passwd", "../../..", "a/../b", "a//b", "./a", "a/.", "a\\b", "a\x00b", ""]
)
def test_object_keys_outside_the_platform_shape_are_refused(key: str) -> None:
    with pytest.raises(InvalidObjectKey):
        check_object_key(key)

    class Ref(BaseModel):
        key: ObjectKey

    with pytest.raises(ValidationError):
        Ref(key=key)


def test_object_keys_the_platform_writes_are_accepted() -> None:
    for key in ["citizen-1/abc/v1", "signed/ab12/Tờ khai hộ tịch.pdf", "forms/x/r1-ab.pdf"]:
        assert check_object_key(key) == key


def test_json_nested_too_deep_is_refused_without_recursion() -> None:
    deep = "[" * 1000 + "]" * 1000
    with pytest.raises(JsonTooDeep):
        parse_json(deep)
    with pytest.raises(JsonTooDeep):
        parse_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(MalformedJson):
        parse_json(b"{not json")
    shallow = {"a": [{"b": 1}]}
    assert parse_json('{"a": [{"b": 1}]}') == shallow

    class Form(BaseModel):
        data: JsonObject

    nested: dict[str, Any] = {}
    cursor = nested
    for _ in range(MAX_JSON_DEPTH):
        cursor["x"] = {}
        cursor = cursor["x"]
    with pytest.raises(ValidationError):
        Form(data=nested)
    assert Form(data=shallow).data == shallow


def test_ids_are_escaped_as_one_url_segment() -> None:
    assert url_segment("../../v1/documents") == "..%2F..%2Fv1%2Fdocuments"
    assert url_segment("a?b#c") == "a%3Fb%23c"
