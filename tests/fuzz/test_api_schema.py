"""Schemathesis over the whole OpenAPI schema: no 5xx, and every response matches its schema.

Bounded and deterministic: 25 examples per operation, derandomized generation, no example
database. The same fuzzing runs against SQLite and against PostgreSQL (see conftest.py).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.conftest import CASES, FUZZ_TOKEN

# Resolved from the session fixtures when the tests run, never at import (see conftest.py):
# each operation is then reported as a subtest of the one test per database.
sqlite_schema = schemathesis.pytest.from_fixture("sqlite_api_schema")
postgres_schema = schemathesis.pytest.from_fixture("postgres_api_schema")
BOUNDED = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _call_and_validate(database: str, case) -> None:
    CASES[(database, case.operation.label)] += 1
    case.call_and_validate(
        headers={"Authorization": f"Bearer {FUZZ_TOKEN}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


@pytest.mark.slow
@sqlite_schema.parametrize()
@BOUNDED
def test_api_on_sqlite_never_errors_and_matches_its_schema(case):
    _call_and_validate("sqlite", case)


@pytest.mark.slow
@pytest.mark.postgres
@postgres_schema.parametrize()
@BOUNDED
def test_api_on_postgres_never_errors_and_matches_its_schema(case):
    _call_and_validate("postgres", case)
