"""The audit on real repositories: the generated template project, this repository, a cohort."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cohort.audit import _with_reproduction, audit_repo
from cohort.audit.leaderboard import audit_cohort, discover
from cohort.audit.report import to_json, to_markdown
from cohort.audit.result import AuditResult, ItemResult
from cohort.cli import app
from cohort.errors import CohortError

ROOT = Path(__file__).resolve().parents[3]

# What the reference system (this repository, audited from its root) has today. Update on purpose
# when the repository gains or loses something; each line says what the level rests on.
EXPECTED_THIS_REPO = {
    "pipeline": 1,  # dvc.yaml declares the stages; its runs write under build/, not audited
    "data_validation": 2,  # reference_impl/schemas.py + validate.py, tests/reference_impl/data/
    # time-aware splits (reference_impl/splits.py) and the champion gate (release.py), but lesson
    # 3.3's "show the leak" branch (lesion/train.py, StratifiedKFold shuffle=True) is a random split
    "evaluation": 1,
    "model_tests": 2,  # tests/reference_impl/model/ + the gate in reference_impl/evaluate.py
    "experiment_tracking": 1,  # reference_impl/train.py logs to MLflow; the runs live in build/
    "model_registry": 1,  # reference_impl/registry.py; registered versions live in build/
    "reproducibility": 1,  # hashed == pins + seeds; the hashed outputs live in build/
    "tests": 1,  # not run by this static audit
    "ci": 2,  # .ci/run runs `make test`
    "serving": 2,  # FastAPI in reference_impl/serve/ + docker/serve.Dockerfile, API tests
    "monitoring": 1,  # reference_impl/monitor/ + Prometheus metrics; its reports live in build/
    "model_card": 0,  # reference_impl/model_card.py writes the card under build/
}
EXPECTED_THIS_REPO_LEVEL = 0

# A fresh template project on day one: the code follows the course, nothing has been run yet.
EXPECTED_FRESH = {
    "pipeline": 1,  # dvc.yaml, never run (no dvc.lock, no reports/metrics.json)
    "data_validation": 2,  # validate.py, tests/data/, the validate stage in dvc.yaml
    "evaluation": 2,  # split.py splits by time; the gate meets the champion on the KPI
    "model_tests": 2,  # tests/model/ with assertions + the gate in evaluate.py
    "experiment_tracking": 1,  # MLflow logging in train.py, no run recorded
    "model_registry": 1,  # registry.py, no registered version
    "reproducibility": 1,  # requirements.lock + seeds, no output recorded with its hash
    "tests": 1,  # 10+ tests in 3 folders, not run
    "ci": 2,  # the workflow runs pytest and the pipeline
    "serving": 2,  # FastAPI + Dockerfile + tests/code/test_api.py
    "monitoring": 1,  # PSI + thresholds + Prometheus, no monitoring report
    "model_card": 1,  # docs/model_card.md with every field still empty
}
FILLED_CARD = """# Model card: Fraud Radar

- Team: Ada, Alan
- Intended use: rank card payments for review, 25 % of cases a day
- Out of scope: blocking payments without a person
- Data: synthetic, 2000 rows, split by event_day with a 7-day gap
- Gate: cost per case below the no-model baseline and the champion's
- Results: see reports/metrics.json (candidate, baseline, champion)
- Known failure modes: new merchants, holiday peaks
- Monitoring: PSI per feature, threshold 0.2, reports/drift.json
"""


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _copy(project: Path, dest: Path) -> Path:
    shutil.copytree(project, dest)
    return dest


def _run_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The generated project's own CLI, from its source tree (as `make pipeline` would)."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PROJECT_ROOT": str(project)}
    code = "from fraud_radar.cli import app; app()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=project, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def worked_project(built_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template after the group's work: pipeline run (`built_project`), experiment runs
    exported, monitor run, model card filled in."""
    project = _copy(built_project, tmp_path_factory.mktemp("worked") / "team")
    (project / "reports" / "experiments.csv").write_text("run,C,cost_per_case\na,1,0.9\nb,1,0.9\n")
    frame = pd.read_csv(project / "data" / "raw" / "dataset.csv")
    current = frame.drop(columns=["target", "event_day"]).tail(300)
    current.to_csv(project / "current.csv", index=False)
    assert _run_cli(project, "monitor", "--current", str(project / "current.csv")).returncode == 0
    (project / "docs" / "model_card.md").write_text(FILLED_CARD)
    return project


def test_fresh_template_scores_what_it_earns(generated_project: Path) -> None:
    """Day one: code that follows the course earns its points, nothing run earns none: level 0."""
    result = audit_repo(path=generated_project)
    assert {i.id: i.level for i in result.items} == EXPECTED_FRESH
    assert result.mlops_level == 0 and result.points == 17


def test_worked_project_scores_high(worked_project: Path) -> None:
    """After the work (runs, registry, reports, card) every item but the unrun tests is complete."""
    result = audit_repo(path=worked_project)
    levels = {i.id: i.level for i in result.items}
    assert levels == {i: 2 for i in EXPECTED_FRESH} | {"tests": 1}, result.to_dict()
    assert result.mlops_level == 2
    evidence = {i.id: " ".join(i.evidence) for i in result.items}
    assert "reports/metrics.json" in evidence["pipeline"]
    assert "models/registry/v1/metadata.json" in evidence["model_registry"]
    assert "reports/drift.json" in evidence["monitoring"]


def _plant(project: Path, dest: Path, rel: str, old: str, new: str) -> AuditResult:
    copy = _copy(project, dest)
    path = copy / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new))
    return audit_repo(path=copy)


@pytest.mark.parametrize(
    ("rel", "old", "new", "item", "finding"),
    [
        (
            "src/fraud_radar/split.py",
            "    train = frame[times < train_end]\n    test = frame[times >= test_start]\n",
            "    from sklearn.model_selection import train_test_split\n\n"
            "    train, test = train_test_split(frame, test_size=test_fraction)\n",
            "evaluation",
            "random split on time-ordered data (src/fraud_radar/split.py:",
        ),
        (
            "params.yaml",
            "  kpi: cost_per_case",
            "  metric: roc_auc\n  minimum: 0.70\n  kpi: cost_per_case",
            "evaluation",
            "gate on an ML metric against a fixed number (params.yaml)",
        ),
        (
            "tests/model/test_model.py",
            "    assert gate(trained.metrics, baseline=trained.baseline, champion=None).passed",
            "    gate(trained.metrics, baseline=trained.baseline, champion=None)",
            "model_tests",
            "tests that cannot fail (no assertion): tests/model/test_model.py::test_passes",
        ),
    ],
    ids=["random-split", "auc-only-gate", "hollow-test"],
)
def test_a_planted_defect_costs_a_point_and_is_named(
    generated_project: Path, tmp_path: Path, rel: str, old: str, new: str, item: str, finding: str
) -> None:
    """Does each defect the course warns about lower the fresh template's score, saying why?"""
    result = _plant(generated_project, tmp_path / "p", rel, old, new)
    found = next(i for i in result.items if i.id == item)
    assert found.level == EXPECTED_FRESH[item] - 1
    assert result.points == 16
    assert any(m.startswith(finding) for m in found.missing), found.missing


def test_structure_only_repository_scores_below_the_template(
    generated_project: Path, tmp_path: Path
) -> None:
    """Every file name the old audit looked for, none of the substance: it scores low."""
    repo = make_repo(
        tmp_path,
        {
            "dvc.yaml": "stages:\n  a:\n    cmd: python a.py\n  b:\n    cmd: python b.py\n",
            "params.yaml": "seed: 1\nevaluate:\n  metric: roc_auc\n  minimum: 0.7\n",
            "requirements.lock": "pandas==2.2.2\n",
            "src/p/validate.py": "def validate(df): return True\n",
            "src/p/train.py": "import mlflow\nfrom sklearn.model_selection import *\n"
            "x_tr, x_te = train_test_split(x)\nmlflow.log_metric('auc', 1)\n",
            "src/p/evaluate.py": "def gate(m): return m['roc_auc'] >= 0.70\n",
            "src/p/registry.py": "def register(model): ...\n",
            "src/p/monitor.py": "def psi(a, b): return 0\n",
            "src/p/serve.py": "from fastapi import FastAPI\n",
            "Dockerfile": "FROM python\n",
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest\n",
            "tests/model/test_model.py": "def test_model():\n    train()\n",
            "tests/data/test_data.py": "def test_data():\n    load()\n",
            "docs/model_card.md": "# Model card\n- Intended use:\n",
        },
    )
    result = audit_repo(path=repo)
    assert result.mlops_level == 0
    assert result.points < audit_repo(path=generated_project).points
    missing = " ".join(m for i in result.items for m in i.missing)
    for finding in ("random split", "gate on an ML metric", "run the pipeline", "fill in"):
        assert finding in missing


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
    assert data["mlops_level"] == 0 and (data["points"], data["possible"]) == (17, 24)
    assert all(item["evidence"] for item in data["items"])
    assert all(item["missing"] for item in data["items"] if item["level"] < 2)


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
        "| 1 | [team-a](team-a.md) | L0 | 17 |" in (tmp_path / "out" / "leaderboard.md").read_text()
    )
    assert discover(repos) == {"bare": repos / "bare"}


def test_cli_audit_formats_and_errors(generated_project: Path, tmp_path: Path) -> None:
    """`mlops-cohort audit` prints a table, writes JSON, and refuses a missing path in one line."""
    runner = CliRunner()
    out = tmp_path / "audit.json"
    result = runner.invoke(app, ["audit", str(generated_project), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Level 0: manual process" in result.output
    assert json.loads(out.read_text())["points"] == 17
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
    assert good.level_of("tests") == 2  # a suite that ran and passed earns the level
    assert good.test_run.mutant_failed  # ...and some of its tests fail when the model is broken

    broken = tmp_path / "broken"
    (broken / "tests").mkdir(parents=True)
    (broken / "tests" / "test_x.py").write_text("def test_fails():\n    assert 1 == 2\n")
    result = audit_repo(path=broken, run_tests=True)
    assert result.test_run is not None and result.test_run.failed == 1
    assert "make the tests pass" in next(i for i in result.items if i.id == "tests").missing


def test_a_suite_that_passes_with_a_broken_model_stays_partial() -> None:
    """The sandboxed run's second pass breaks every Pipeline: if nothing fails, the item says so."""
    from cohort.audit import _with_test_run
    from cohort.audit.result import ItemResult, TestRun

    item = ItemResult("tests", "Tests", 1, ["tests/a.py"], ["not run: audit with --run-tests"])
    caught = _with_test_run(item, TestRun(12, 0, 0, "bubblewrap", mutant_failed=3))
    assert caught.level == 2 and "3 fail with a broken model" in caught.evidence[-1]
    blind = _with_test_run(item, TestRun(12, 0, 0, "bubblewrap", mutant_failed=0))
    assert blind.level == 1 and "pass with a broken model" in " ".join(blind.missing)
    assert not any(m.startswith("not run") for m in blind.missing)


def test_compare_names_the_metrics_that_moved() -> None:
    """Same numbers: nothing; a moved or missing metric is named with both values."""
    from cohort.audit.reproduce import compare

    committed = {"candidate": {"cost_per_case": 1.5, "average_precision": 0.6}, "gate_passed": True}
    assert compare(committed, {"candidate": {"cost_per_case": 1.5, "average_precision": 0.6}}) == []
    moved = compare(committed, {"candidate": {"cost_per_case": 1.7}})
    assert moved == ["average_precision: 0.6 -> missing", "cost_per_case: 1.5 -> 1.7"]


@pytest.mark.slow
@pytest.mark.sandbox
def test_the_pipeline_reruns_from_a_clean_copy(built_project: Path, needs_tool) -> None:
    """Rerun sandboxed from code, params and raw data only: do the committed metrics come back?"""
    from cohort.audit.reproduce import reproduce_sandboxed
    from graders.sandbox import probe

    status = probe()[0]
    if not status.usable:
        needs_tool("sandbox", f"no isolating sandbox: {status.reason}")
    same = reproduce_sandboxed(repo_root=built_project)
    assert same is not None and same.same, same


def test_metrics_that_do_not_come_back_cap_reproducibility() -> None:
    """A rerun whose metrics moved (or that failed) caps the item at 1, saying why."""
    from cohort.audit.result import Reproduction

    item = ItemResult("reproducibility", "Reproducibility", 2, ["requirements.lock"])
    moved = _with_reproduction(item, Reproduction(False, ["cost_per_case: 1.5 -> 1.7"]))
    assert moved.level == 1 and "cost_per_case: 1.5 -> 1.7" in moved.missing[-1]
    failed = _with_reproduction(item, Reproduction(False, [], "the pipeline failed: boom"))
    assert failed.level == 1 and "boom" in failed.missing[-1]
    same = _with_reproduction(item, Reproduction(True, []))
    assert same.level == 2 and "came back" in same.evidence[-1]
