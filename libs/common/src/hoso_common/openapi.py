"""Every operation of a service's OpenAPI document declares the problems it can answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from hoso_common.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with a stable code and a Vietnamese detail.",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable machine-readable code."},
        "detail": {"type": "string", "description": "What happened, in Vietnamese."},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "One entry per invalid field (422).",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string"},
                    "in": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    "400": "Malformed request (unreadable body, or headers the gateway refuses).",
    "401": "Missing, expired or invalid access token.",
    "403": "The caller may not do this.",
    "404": "No such resource, or not the caller's.",
    "409": "Conflicts with the resource's current state.",
    "413": "Body larger than allowed.",
    "414": "URL longer than the gateway accepts.",
    "415": "Content type or file type not accepted.",
    "422": "Invalid parameters or body; `errors` points at each field.",
    "429": "Too many requests from this client; retry after `Retry-After` seconds.",
    "500": "Unexpected error.",
    "502": "The gateway got no valid answer from the service.",
    "503": "A dependency is unavailable; retry after `Retry-After` seconds.",
    "504": "The service did not answer in time.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}
# What the gateway and the shared error handling can answer on any operation.
_ALWAYS = ("400", "404", "413", "414", "422", "429", "500", "502", "503", "504")
_WITH_BODY = ("409", "415")
_SECURED = ("401", "403")


def statuses_for(operation: dict[str, Any], method: str) -> list[str]:
    """The problem statuses an operation can answer, from what it declares."""
    statuses = list(_ALWAYS)
    if operation.get("security"):
        statuses += _SECURED
    if method in {"post", "put", "patch", "delete"}:
        statuses += _WITH_BODY
    return sorted(set(statuses))


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds a problem+json response for each status an operation can answer, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in statuses_for(operation, method):
                if status == "422" or status not in responses:
                    responses[status] = {"description": _DESCRIPTIONS[status]}
            for status, response in responses.items():
                if not status.isdigit() or int(status) < 400:
                    continue
                # Every error the services answer is a problem, whatever a route declared.
                response["content"] = {PROBLEM_JSON: {"schema": reference}}
                if status in {"429", "503"}:
                    response.setdefault("headers", {}).update(_RETRY_AFTER)
    return schema


def document_problems(app: FastAPI) -> None:
    """Makes `app.openapi()` declare the problem responses of every operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problem_responses(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
