"""Missing tools: a skip with its reason on a laptop, a failure where ``MLOPS_REQUIRE`` names them.

The sandbox, browser and container suites skip when bubblewrap, chromium or podman is missing;
right for a contributor, wrong for CI, where a whole suite could pass by not running. `.ci/run`
exports ``MLOPS_REQUIRE=sandbox,browser,containers``; every skip decided through this module for a
named tool then fails, naming what is missing.

Used from `tests/conftest.py` (which imports these hooks and the fixture) in two ways:

- in a fixture or a test: ``needs_tool("sandbox", reason)`` (the fixture of that name);
- for a whole module: ``pytestmark = [pytest.mark.needs_tool("containers", reason)]``, added only
  when the tool is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NoReturn

import pytest

ENV = "MLOPS_REQUIRE"
KNOWN = ("sandbox", "browser", "containers")


def required() -> frozenset[str]:
    """Tools that ``MLOPS_REQUIRE`` (comma-separated) says must be present."""
    return frozenset(t.strip() for t in os.environ.get(ENV, "").split(",") if t.strip())


def missing(tool: str, reason: str) -> NoReturn:
    """Skip for ``reason``, or fail when ``tool`` is required here."""
    if tool in required():
        pytest.fail(f"{ENV} requires {tool}, which is missing here: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def needs_tool() -> Callable[[str, str], NoReturn]:
    """`missing`, for fixtures and tests that find their tool unusable."""
    return missing


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_tool(tool, reason): the tool is missing: skip, or fail if required"
    )
    unknown = sorted(required() - set(KNOWN))
    if unknown:
        raise pytest.UsageError(
            f"{ENV} names unknown tools: {', '.join(unknown)} (known: {', '.join(KNOWN)})"
        )


def pytest_report_header(config: pytest.Config) -> str | None:
    need = sorted(required())
    return f"{ENV}: {', '.join(need)} (missing means failed, not skipped)" if need else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("needs_tool")
    if marker is not None:
        missing(*marker.args)
