"""Fixtures shared by every suite."""

from __future__ import annotations

from pathlib import Path

import pytest

# Long self-contained checks start in the background when collection ends (tests/background.py).
from background import pytest_collection_modifyitems, pytest_sessionfinish  # noqa: F401

# The course site, built once per session: the site and course suites read it (tests/site_build.py).
from site_build import built_site  # noqa: F401

# Skips for a missing tool, or failures where MLOPS_REQUIRE names it (CI): see tool_requirements.
from tool_requirements import (  # noqa: F401
    needs_tool,
    pytest_configure,
    pytest_report_header,
    pytest_runtest_setup,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
