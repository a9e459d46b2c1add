"""Fixtures of the cohort suites."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: list[dict[str, str]], name: str = "roster.csv") -> Path:
        path = tmp_path / name
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


@pytest.fixture(scope="session")
def generated_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template rendered once with its defaults (a classification project)."""
    from cohort.scaffold import new_project

    dest = tmp_path_factory.mktemp("generated") / "fraud-radar"
    return new_project(dest=dest, answers={"team_members": "Ada <ada@example.org>"})


@pytest.fixture(scope="session")
def built_project(generated_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template project after `python -m fraud_radar all` (tracking off): data, a registered
    model, reports. Copy it before changing it."""
    import os
    import shutil
    import subprocess
    import sys

    project = tmp_path_factory.mktemp("built") / "fraud-radar"
    shutil.copytree(generated_project, project)
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("enabled: true", "enabled: false"))
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PROJECT_ROOT": str(project)}
    run = subprocess.run(
        [sys.executable, "-m", "fraud_radar", "all"], cwd=project, env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return project
