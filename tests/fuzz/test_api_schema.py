"""Schemathesis over the whole OpenAPI schema: no 5xx, and every response matches its schema.

Bounded and deterministic: 25 examples per operation, derandomized generation, no example
database. ``FUZZ_DATABASE=postgres`` runs the same against PostgreSQL (see conftest.py).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from service.app import create_app
from tests.fuzz.conftest import CASES, FUZZ_SETTINGS, FUZZ_TOKEN

app = create_app(FUZZ_SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_errors_and_matches_its_schema(case):
    CASES[case.operation.label] += 1
    case.call_and_validate(
        headers={"Authorization": f"Bearer {FUZZ_TOKEN}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
