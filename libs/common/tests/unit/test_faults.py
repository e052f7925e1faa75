"""Which failures the platform treats as a dependency being briefly away."""

from __future__ import annotations

import httpx
import pytest
import urllib3.exceptions
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, UnsupportedVersionError
from minio.error import S3Error, ServerError
from pydantic import BaseModel, ValidationError
from pymongo.errors import AutoReconnect, DuplicateKeyError, NetworkTimeout, OperationFailure

from hoso_common.errors import NotFound, ServiceUnavailable
from hoso_common.faults import is_transient


def s3_error(code: str) -> S3Error:
    return S3Error(None, code, "message", "resource", "request", "host")  # type: ignore[arg-type]


class Strict(BaseModel):
    n: int


def validation_error() -> ValidationError:
    try:
        Strict.model_validate({"n": "x"})
    except ValidationError as error:
        return error
    raise AssertionError


@pytest.mark.parametrize(
    "error",
    [
        AutoReconnect("connection refused"),
        NetworkTimeout("timed out"),
        OperationFailure("stepping down", code=189),
        KafkaConnectionError("no broker"),
        KafkaTimeoutError(),
        httpx.ConnectError("refused"),
        urllib3.exceptions.MaxRetryError(None, "/", reason=ConnectionRefusedError()),  # type: ignore[arg-type]
        urllib3.exceptions.ProtocolError("reset"),
        ServerError("bad gateway", 502),
        s3_error("SlowDown"),
        s3_error("ServiceUnavailable"),
        ServiceUnavailable(),
        ConnectionRefusedError(),
        TimeoutError(),
    ],
    ids=repr,
)
def test_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        validation_error(),
        DuplicateKeyError("dup"),
        OperationFailure("bad query", code=2),
        UnsupportedVersionError(),
        s3_error("AccessDenied"),
        s3_error("NoSuchKey"),
        ServerError("not found", 404),
        NotFound(),
        ValueError("bad"),
        KeyError("x"),
    ],
    ids=repr,
)
def test_permanent(error: BaseException) -> None:
    assert not is_transient(error)


class CallFailed(Exception):
    def __init__(self, retryable: bool) -> None:
        super().__init__("provider call failed")
        self.retryable = retryable


def test_an_error_may_declare_itself_retryable() -> None:
    assert is_transient(CallFailed(retryable=True))
    assert not is_transient(CallFailed(retryable=False))


def test_the_cause_of_a_translated_error_counts_but_not_an_unrelated_context() -> None:
    try:
        raise RuntimeError("wrapped") from AutoReconnect("down")
    except RuntimeError as error:
        assert is_transient(error)
    try:
        try:
            raise AutoReconnect("down")
        except AutoReconnect:
            raise ValueError("a bug in the handler") from None
    except ValueError as error:
        assert not is_transient(error)


def test_an_outage_during_a_request_answers_503_problem_json_with_retry_after() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from pymongo.errors import ServerSelectionTimeoutError

    from hoso_common.errors import install_error_handlers
    from hoso_common.storage import StorageUnavailable

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/database")
    async def database() -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")

    @app.get("/storage")
    async def storage() -> None:
        raise StorageUnavailable()

    @app.get("/bug")
    async def bug() -> None:
        raise ValueError("a bug")

    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/database", "/storage"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert response.json()["detail"].endswith("Vui lòng thử lại sau.")
    assert client.get("/bug").status_code == 500
