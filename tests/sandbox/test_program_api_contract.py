"""Schemathesis: the sandbox honours docs/program-api.openapi.yaml (bounded, deterministic)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sandbox.program_api.app import create_app
from sandbox.program_api.db import load_demo_applicants

TOKEN = "contract-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

_DB = Path(tempfile.mkdtemp(prefix="program-api-contract-")) / "program_api.sqlite"
APP = create_app(_DB, token=TOKEN)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


# One test per operation, named after it: ``schema.parametrize()`` gives every operation the same
# test id, which pytest-xdist (``make test``) collapses into a single test.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_contract(operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=AUTH)

    check()


@pytest.mark.parametrize("person", load_demo_applicants(), ids=lambda p: p.status)
def test_verified_status_matches_schema(person: object) -> None:
    """Generated refs are never valid, so check the real 200 documents explicitly."""
    verify = schema["/v1/applicants/verify"]["POST"].Case(
        body={"nik": person.nik, "phone": person.phone},  # type: ignore[attr-defined]
        media_type="application/json",
    )
    response = verify.call(headers=AUTH)
    verify.validate_response(response)
    assert response.status_code == 200
    ref = response.json()["applicant_ref"]
    status = schema["/v1/applicants/{applicant_ref}/status"]["GET"].Case(
        path_parameters={"applicant_ref": ref}
    )
    response = status.call(headers=AUTH)
    assert response.status_code == 200
    status.validate_response(response)
