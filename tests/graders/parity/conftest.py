"""The parity cohorts: each graded once per session by our engine; goldens from nbgrader.

``--update-goldens`` (registered in `tests/graders/conftest.py`) first runs nbgrader 0.9.6 on the
same courses and rewrites `golden/`; without it nbgrader never runs here except in the one live
check (`test_goldens_are_what_nbgrader_gives`).
"""

from __future__ import annotations

from typing import Any

import pytest

from .parity_courses import (
    EXAMPLE_LAB,
    PATTERN_LAB,
    TABLES,
    build_example_course,
    build_pattern_course,
    example_golden_path,
    load_golden,
    pattern_golden_path,
    regenerate_example_golden,
    regenerate_pattern_golden,
)
from .parity_kit import OursRun, ours_autograde


def _updating(config: pytest.Config) -> bool:
    try:
        return bool(config.getoption("--update-goldens"))
    except ValueError:
        return False


@pytest.fixture(scope="session")
def pattern_golden(request: pytest.FixtureRequest, tmp_path_factory: Any) -> dict[str, Any]:
    if _updating(request.config):
        return regenerate_pattern_golden(tmp_path_factory.mktemp("nbgrader-patterns"))
    return load_golden(pattern_golden_path())


@pytest.fixture(scope="session")
def example_golden(request: pytest.FixtureRequest, tmp_path_factory: Any) -> dict[str, Any]:
    if _updating(request.config):
        return regenerate_example_golden(tmp_path_factory.mktemp("nbgrader-example"))
    return load_golden(example_golden_path())


@pytest.fixture(scope="session")
def pattern_run(tmp_path_factory: pytest.TempPathFactory) -> OursRun:
    """Every pattern notebook of the three variants, graded in one run (2 workers)."""
    course = build_pattern_course(tmp_path_factory.mktemp("parity") / "course", "ours")
    return ours_autograde(course, PATTERN_LAB, workers=2)


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> OursRun:
    """nbgrader's example ps1: released by us, bitdiddle's and hacker's submissions as shipped."""
    pytest.importorskip("nbgrader", reason="nbgrader's example course ships in its wheel")
    course = build_example_course(tmp_path_factory.mktemp("parity") / "example", "ours")
    return ours_autograde(course, EXAMPLE_LAB, workers=1)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for table in TABLES:
        terminalreporter.write_sep("=", "nbgrader parity")
        terminalreporter.write_line(table)
