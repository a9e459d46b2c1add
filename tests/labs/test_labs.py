"""Every lab under `labs/` works under the grading engine, as CI proves on each change.

For each `labs/labNN_slug/`: the release leaks no solution or hidden test; the source solutions
score full marks; the released notebook scores a clean zero (graded, not crashed); `mlops-grade
check` tells the learner how many hidden tests will run; the lab runs within its time budget.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from lab_harness import (
    BLANK,
    MANIFEST_KEYS,
    MUTANT,
    ROOT,
    SOLVED,
    LabRun,
    exercise_test_id,
    lab_folders,
    read_manifest,
    read_mutants,
    record_runtime,
    released_lines,
    run_lab,
    secret_lines,
)

from graders import cells as C
from graders.config import GradeConfig

pytestmark = pytest.mark.slow

MAX_RUNTIME_S = 60.0
# Measured seconds go to RUNTIME_REPORT; the test fails only past this multiple of the budget
# (a lab that got that much slower, not a loaded CI machine).
LOAD_FACTOR = 3.0
MAX_MINUTES = 90
MIN_EXERCISES = 6
RUNTIME_REPORT = ROOT / "build" / "test-artifacts" / "labs-runtime.json"
FOLDERS = lab_folders()


def _has_code(text: str) -> bool:
    return bool(ast.parse(text).body)


def _config() -> GradeConfig:
    from graders.sandbox import probe

    # Source notebooks are the course's own code: without bubblewrap they may run unsandboxed.
    return GradeConfig.from_settings(allow_unsandboxed=not probe()[0].usable)


@pytest.fixture(scope="module", params=FOLDERS, ids=[f.name for f in FOLDERS])
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LabRun:
    folder: Path = request.param
    run = run_lab(folder, tmp_path_factory.mktemp(folder.name), _config())
    record_runtime(run, RUNTIME_REPORT)
    return run


def test_manifest_describes_the_lab(lab: LabRun) -> None:
    """Does the manifest give title, module, time, points and budget, matching the notebook?"""
    manifest = read_manifest(lab.folder)
    assert manifest.keys() >= MANIFEST_KEYS, f"missing: {MANIFEST_KEYS - manifest.keys()}"
    assert int(lab.name[3:5]) == manifest["module"]
    assert 0 < manifest["expected_minutes"] <= MAX_MINUTES
    assert 0 < manifest["runtime_budget_s"] <= MAX_RUNTIME_S
    (released,) = lab.release.notebooks
    assert manifest["points"]["autograded"] == pytest.approx(released.points)
    assert manifest["points"]["manual"] == pytest.approx(sum(lab.manual_cells().values()))


def test_lab_has_enough_public_and_hidden_tests(lab: LabRun) -> None:
    """Are there at least six auto-graded exercises, each with a public test, plus hidden tests?"""
    (released,) = lab.release.notebooks
    assert released.tests >= MIN_EXERCISES
    assert released.hidden_tests >= MIN_EXERCISES
    public = [c for c in lab.released["cells"] if C.is_test(c) and _has_code(C.source(c))]
    assert len(public) >= MIN_EXERCISES, "each exercise needs a public test learners can run"


def test_release_leaks_no_solution_or_hidden_test(lab: LabRun) -> None:
    """Does any line of a solution or a hidden test survive into the released folder?"""
    secrets = secret_lines(lab.source)
    assert secrets, "the source notebook should hold solutions and hidden tests"
    for path in lab.release_dir.rglob("*"):
        if path.is_file():
            leaked = sorted(secrets & released_lines(path))
            assert not leaked, f"{path.name} leaks {leaked[:3]}"
    text = (lab.release_dir / f"{lab.name}.ipynb").read_text()
    assert C.BEGIN_HIDDEN not in text and C.BEGIN_SOLUTION not in text
    assert not (lab.release_dir / "manifest.yml").exists()


def test_source_solutions_score_full_marks(lab: LabRun) -> None:
    """Does a learner who writes the reference solutions get every autograded point?"""
    result = lab.results[SOLVED]
    failed = [f"{t.name}: {t.message}" for t in result.tests if not t.passed]
    assert result.status == "graded", result.reason
    assert not failed, failed
    assert result.total == result.possible == lab.release.notebooks[0].points > 0


def test_released_notebook_scores_a_clean_zero(lab: LabRun) -> None:
    """Does the untouched student version score 0, graded rather than crashed or timed out?"""
    result = lab.results[BLANK]
    assert result.status == "graded", result.reason
    assert result.total == 0
    assert result.possible == lab.release.notebooks[0].points
    assert all(t.message for t in result.tests), "every failure should say why"


def test_manual_cells_wait_for_a_human(lab: LabRun) -> None:
    """Are manually graded answers flagged for manual grading instead of silently scored 0?"""
    manual = lab.manual_cells()
    flags = lab.needs_manual_grade(SOLVED)
    for name in manual:
        assert flags.get(name) is True, f"{name} is not flagged for manual grading"
    scored = {t.cell for t in lab.results[SOLVED].tests}
    assert not scored & manual.keys()


def test_hidden_tests_catch_what_public_tests_miss(lab: LabRun) -> None:
    """Does each wrong answer of `mutants.yml` pass its public test but fail a hidden one?"""
    mutants = read_mutants(lab.folder)
    if not mutants:
        pytest.skip(f"{lab.name} has no mutants.yml")
    result = lab.results[MUTANT]
    assert result.status == "graded", result.reason
    for grade_id in mutants:
        test = exercise_test_id(lab.source, grade_id)
        units = [t for t in result.tests if t.cell == test]
        public = [t for t in units if not t.hidden]
        assert all(t.passed for t in public), f"{grade_id}: public test fails, mutant too weak"
        assert any(not t.passed for t in units if t.hidden), (
            f"{grade_id}: no hidden test catches it"
        )


def test_check_names_the_hidden_tests(lab: LabRun) -> None:
    """Does `mlops-grade check` on the student version say how many hidden tests will run?"""
    notebook = lab.release_dir / f"{lab.name}.ipynb"
    cli = Path(sys.executable).parent / "mlops-grade"
    proc = subprocess.run(
        [str(cli), "check", str(notebook)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    hidden = lab.release.notebooks[0].hidden_tests
    assert f"{hidden} hidden tests will run at grading" in proc.stdout, proc.stdout[-2000:]
    assert "0/" in proc.stdout.splitlines()[-1]


def test_lab_runs_within_its_budget(lab: LabRun) -> None:
    """Do both gradings finish within a generous multiple of the lab's budget (at most 60 s)?"""
    budget = min(MAX_RUNTIME_S, float(read_manifest(lab.folder)["runtime_budget_s"]))
    assert lab.seconds[SOLVED] <= LOAD_FACTOR * budget, lab.seconds
    assert lab.seconds[BLANK] <= LOAD_FACTOR * budget, lab.seconds
