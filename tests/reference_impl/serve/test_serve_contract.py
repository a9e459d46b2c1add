"""The OpenAPI document is the contract: schemathesis fuzzes every route of a live server.

Checks: no 5xx, every status code declared, every response matches its schema, content types
match, schema-violating input is rejected and schema-valid input accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from reference_impl.serve.app import create_app
from reference_impl.serve.server import running
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import train_demo_model, write_bundle


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    models: Path = tmp_path_factory.mktemp("registry")
    write_bundle(models, "v1", train_demo_model(n=500))
    app = create_app(ServeSettings(models_dir=models, log_requests=False))
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(live_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_url}/openapi.json")


# Routes from the app's own OpenAPI document (building it needs no model and no server).
OPERATIONS = [
    (path, method.upper())
    for path, item in create_app(ServeSettings()).openapi()["paths"].items()
    for method in item
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_api_honours_its_openapi_contract(api_schema: Any, path: str, method: str) -> None:
    """Does this route answer fuzzed input without server errors and as documented?"""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate()

    fuzz()
