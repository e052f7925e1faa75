import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from hoso_common.errors import NotFound, install_error_handlers
from hoso_common.settings import PlatformSettings


def test_production_refuses_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_ENV", "production")
    monkeypatch.setenv("HOSO_OBJECT_CAPABILITY_SECRET", "another-real-secret-from-the-vault")
    monkeypatch.setenv("HOSO_S3_SECRET_KEY", "hoso-local-secret")
    with pytest.raises(ValidationError, match="placeholder"):
        PlatformSettings()
    monkeypatch.setenv("HOSO_S3_SECRET_KEY", "a-real-secret-from-the-vault")
    assert PlatformSettings().s3_secret_key.get_secret_value() == "a-real-secret-from-the-vault"


def test_shared_settings_come_from_hoso_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("HOSO_OIDC_AUDIENCE", "portal")
    settings = PlatformSettings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.oidc_audience == "portal"


class Body(BaseModel):
    name: str = Field(max_length=5)


def test_errors_are_problem_json_with_stable_codes() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound()

    @app.post("/body")
    async def body(item: Body) -> Body:
        return item

    client = TestClient(app)
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "Không tìm thấy dữ liệu yêu cầu."

    response = client.post("/body", json={"name": "quá dài rồi"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"] == [
        {"pointer": "/name", "in": "body", "code": "string_too_long", "message": "Giá trị quá dài."}
    ]

    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
