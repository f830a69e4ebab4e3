"""Property-based API tests: generated requests (signed like a kiosk's) never get a 5xx, and every
answer conforms to the published OpenAPI document (status codes, content types, schemas)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from central.app import create_app
from central.db import Database
from kiosk.api_client import KioskSigner
from tests.support.central import CentralServer, running_central

# The schema comes from the app itself; building it touches no database.
SCHEMA = schemathesis.openapi.from_dict(create_app(Database("sqlite://")).openapi())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def server() -> Iterator[CentralServer]:
    with running_central() as running:
        yield running


@pytest.fixture(scope="module")
def session(server: CentralServer) -> Iterator[requests.Session]:
    with requests.Session() as signed:
        signed.auth = KioskSigner(server.kiosk_id, server.secret)
        yield signed


@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_generated_requests_conform(
    case: schemathesis.Case, server: CentralServer, session: requests.Session
) -> None:
    headers = server.admin_headers() if case.path.startswith("/v1/admin") else None
    case.call_and_validate(
        base_url=server.base_url, session=session, headers=headers, checks=CHECKS, timeout=30
    )


def test_published_document_is_openapi_31_with_problem_errors(server: CentralServer) -> None:
    document = requests.get(server.base_url + "/openapi.json", timeout=30).json()
    assert document["openapi"].startswith("3.1")
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    for operation in operations:
        errors = {status: r for status, r in operation["responses"].items() if status[0] in "45"}
        assert "500" in errors
        for response in errors.values():
            assert list(response["content"]) == ["application/problem+json"]
    assert all(path.startswith("/v1/") for path in document["paths"])
