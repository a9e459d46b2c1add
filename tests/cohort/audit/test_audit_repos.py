"""The audit on real repositories: the generated template project, this repository, a cohort."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cohort.audit import audit_repo
from cohort.audit.leaderboard import audit_cohort, discover
from cohort.audit.report import to_json, to_markdown
from cohort.cli import app
from cohort.errors import CohortError

ROOT = Path(__file__).resolve().parents[3]

# What the reference system (this repository, audited from its root) has today. Update on purpose
# when the repository gains or loses something; each line says what the level rests on.
EXPECTED_THIS_REPO = {
    "pipeline": 2,  # dvc.yaml at the root declares the reference pipeline's stages
    "data_validation": 2,  # reference_impl/schemas.py + validate.py, tests/reference_impl/data/
    "model_tests": 2,  # tests/reference_impl/model/ + the gate in reference_impl/evaluate.py
    "experiment_tracking": 2,  # reference_impl/train.py logs runs to MLflow
    "model_registry": 2,  # reference_impl/registry.py
    "reproducibility": 2,  # hashed == pins (docker/*.lock, binder/requirements.txt) + seeds
    "tests": 2,
    "ci": 2,  # .ci/run runs `make test`
    "serving": 2,  # FastAPI in reference_impl/serve/ + docker/serve.Dockerfile, compose.yaml
    "monitoring": 2,  # reference_impl/monitor/ drift + Prometheus metrics in serve/
}
EXPECTED_THIS_REPO_LEVEL = 2


def test_generated_project_reaches_level_2(generated_project: Path) -> None:
    """Does a fresh project from the template score complete on every item (MLOps level 2)?"""
    result = audit_repo(path=generated_project)
    assert {i.id: i.level for i in result.items} == {i.id: 2 for i in result.items}
    assert result.mlops_level == 2
    assert "dvc.yaml" in next(i for i in result.items if i.id == "pipeline").evidence


def test_this_repository(repo_root: Path) -> None:
    """Does the audit of this repository (the reference system) give the levels written above?"""
    result = audit_repo(path=repo_root)
    assert {i.id: i.level for i in result.items} == EXPECTED_THIS_REPO
    assert result.mlops_level == EXPECTED_THIS_REPO_LEVEL
    assert "cohort/template" in result.skipped  # the template is not the repository's own evidence


def test_reports_carry_evidence_and_gaps(generated_project: Path, tmp_path: Path) -> None:
    """Do the Markdown and JSON reports name files found and what is missing?"""
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n")
    partial = audit_repo(path=tmp_path)
    markdown = to_markdown(partial)
    assert "`Dockerfile`" in markdown and "add a model-serving API" in markdown
    data = json.loads(to_json(audit_repo(path=generated_project)))
    assert data["mlops_level"] == 2 and data["points"] == data["possible"] == 20
    assert all(item["evidence"] for item in data["items"])


def test_cohort_leaderboard(generated_project: Path, tmp_path: Path) -> None:
    """Cohort mode ranks the template project above a bare one and writes the leaderboard files."""
    repos = tmp_path / "repos"
    (repos / "bare").mkdir(parents=True)
    (repos / "bare" / "notes.txt").write_text("todo\n")
    seen: list[str] = []
    board = audit_cohort(
        repos={"bare": repos / "bare", "team-a": generated_project, "gone": repos / "gone"},
        out_dir=tmp_path / "out",
        on_repo=seen.append,
    )
    assert [name for name, _ in board.ranked()] == ["team-a", "bare"]
    assert seen == ["bare", "team-a", "gone"] and "is not a folder" in board.errors["gone"]
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert {
        "leaderboard.md",
        "leaderboard.csv",
        "leaderboard.json",
        "team-a.md",
        "bare.json",
    } <= written
    assert (
        "| 1 | [team-a](team-a.md) | L2 | 20 |" in (tmp_path / "out" / "leaderboard.md").read_text()
    )
    assert discover(repos) == {"bare": repos / "bare"}


def test_cli_audit_formats_and_errors(generated_project: Path, tmp_path: Path) -> None:
    """`mlops-cohort audit` prints a table, writes JSON, and refuses a missing path in one line."""
    runner = CliRunner()
    out = tmp_path / "audit.json"
    result = runner.invoke(app, ["audit", str(generated_project), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Level 2: CI/CD pipeline automation" in result.output
    assert json.loads(out.read_text())["points"] == 20
    missing = runner.invoke(app, ["audit", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and missing.output.strip().count("\n") == 0
    assert "is not a folder" in missing.output


def test_run_tests_refuses_without_the_sandbox(tmp_path: Path, monkeypatch) -> None:
    """Without graders.sandbox, --run-tests refuses instead of running code unsandboxed."""
    monkeypatch.setitem(sys.modules, "graders.sandbox", None)
    with pytest.raises(CohortError, match="needs the grading sandbox"):
        audit_repo(path=tmp_path, run_tests=True)


@pytest.mark.slow
@pytest.mark.sandbox
def test_run_tests_in_the_sandbox(generated_project: Path, tmp_path: Path, needs_tool) -> None:
    """Does --run-tests run the suite sandboxed, and does a failing test cost the level?"""
    from graders.sandbox import probe

    status = probe()[0]
    if not status.usable:
        needs_tool("sandbox", f"no isolating sandbox: {status.reason}")
    good = audit_repo(path=generated_project, run_tests=True)
    assert good.test_run is not None and good.test_run.ok and good.test_run.passed >= 15
    assert good.test_run.backend == "bubblewrap"
    broken = tmp_path / "broken"
    (broken / "tests").mkdir(parents=True)
    (broken / "tests" / "test_x.py").write_text("def test_fails():\n    assert 1 == 2\n")
    result = audit_repo(path=broken, run_tests=True)
    assert result.test_run is not None and result.test_run.failed == 1
    assert "make the tests pass" in next(i for i in result.items if i.id == "tests").missing
