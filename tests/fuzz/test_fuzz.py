"""schemathesis over every service's OpenAPI, through the gateway, as a citizen and an officer.

Each generated request (valid and invalid, from the documents the gateway serves) is sent
once per caller. Every answer must be no 5xx, of a declared status and content type, and
match its declared schema. FUZZ_EXAMPLES (default 8) bounds the cases per operation, so the
whole run stays within a few minutes.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(600)]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "8")),
    deadline=None,
    derandomize=True,  # the same cases on every run, so CI is reproducible
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


def service_schema(service: str) -> OpenApiSchema:
    """The OpenAPI document of `service` as the gateway serves it, without the probes."""
    gateway = os.environ.get("HOSO_TEST_GATEWAY_URL", "http://127.0.0.1:8080")
    schema = schemathesis.openapi.from_url(
        f"{gateway}/api/{service}/openapi.json", wait_for_schema=30
    )
    return schema.exclude(path_regex="^/health/")


def _check(case: Case, callers: dict[str, dict[str, str]]) -> None:
    for headers in callers.values():
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)


# Loaded when collected: `make fuzz` runs against a running stack.
documents = service_schema("documents")
eforms = service_schema("eforms")
signing = service_schema("signing")
submission = service_schema("submission")


@documents.parametrize()
@FUZZ
def test_documents(case: Case, callers: dict[str, dict[str, str]]) -> None:
    _check(case, callers)


@eforms.parametrize()
@FUZZ
def test_eforms(case: Case, callers: dict[str, dict[str, str]]) -> None:
    _check(case, callers)


@signing.parametrize()
@FUZZ
def test_signing(case: Case, callers: dict[str, dict[str, str]]) -> None:
    _check(case, callers)


@submission.parametrize()
@FUZZ
def test_submission(case: Case, callers: dict[str, dict[str, str]]) -> None:
    _check(case, callers)
