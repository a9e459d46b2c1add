"""gradebook: our rows and nbgrader's, one transaction per submission, regrades replace rows."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from graders.gradebook import Gradebook
from graders.results import NotebookResult, SubmissionResult, TestResult


def result(student: str, passed: bool, status: str = "graded") -> SubmissionResult:
    tests = [
        TestResult("test_mean_center", "test_mean_center", 2.0 if passed else 0.0, 2.0, passed)
    ]
    return SubmissionResult(student, "lab01", [NotebookResult("lab01", status, tests)])


def test_wal_and_nbgrader_tables(sample_course: Path) -> None:
    """Is the gradebook in WAL mode and does it hold nbgrader's tables with the lab's cells?"""
    db = sqlite3.connect(sample_course / "gradebook.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {r[0] for r in db.execute("SELECT name FROM base_cell WHERE type='GradeCell'")}
    assert names == {
        "test_mean_center",
        "test_add_ratio",
        "test_circle_area",
        "test_circle_area_hidden",
    }
    assert db.execute(
        "SELECT max_score FROM grade_cells JOIN base_cell USING (id) WHERE name='test_add_ratio'"
    ).fetchone() == (4.0,)


def test_regrade_replaces_stale_rows(sample_course: Path) -> None:
    """After a regrade, is only the new outcome left (no stale test rows or grades)?"""
    with Gradebook(sample_course / "gradebook.db") as gb:
        gb.save_result(result("ann", True))
        gb.save_result(result("ann", False, "error:timeout"))
        (only,) = gb.results("lab01")
        rows = gb.db.execute("SELECT passed FROM mlops_test_result WHERE student='ann'").fetchall()
        auto = gb.db.execute(
            "SELECT auto_score, needs_manual_grade FROM grade JOIN base_cell "
            "ON grade.cell_id = base_cell.id WHERE base_cell.name='test_mean_center'"
        ).fetchall()
    assert only.status == "error:timeout" and rows == [(0,)]
    # The partial score stands (as in our export) and the error is flagged for manual grading.
    assert auto == [(0.0, 1)]


def test_killed_writer_loses_nothing_already_committed(sample_course: Path) -> None:
    """If the writer process is killed mid-run, are the submissions written before it intact?"""
    script = (
        "import os, sys\nsys.path.insert(0, sys.argv[2])\n"
        "from test_graders_gradebook import result\nfrom graders.gradebook import Gradebook\n"
        "gb = Gradebook(sys.argv[1])\n"
        "for i in range(3):\n    gb.save_result(result(f's{i}', True))\n"
        "gb.db.execute('BEGIN IMMEDIATE')\ngb.db.execute(\"DELETE FROM mlops_submission\")\n"
        "os.kill(os.getpid(), 9)\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(sample_course / "gradebook.db"),
            str(Path(__file__).parent),
        ],
        check=False,
    )
    with Gradebook(sample_course / "gradebook.db") as gb:
        assert sorted(r.student for r in gb.results("lab01")) == ["s0", "s1", "s2"]


@pytest.mark.slow  # importing nbgrader takes ~10 s
def test_nbgrader_can_read_our_gradebook(sample_course: Path) -> None:
    """Can nbgrader's own API (used by formgrader) open our gradebook and read the scores?"""
    api = pytest.importorskip(
        "nbgrader.api", reason="nbgrader not installed (pip install nbgrader)"
    )
    with Gradebook(sample_course / "gradebook.db") as gb:
        gb.save_result(result("ann", True))
    nbgb = api.Gradebook(f"sqlite:///{sample_course / 'gradebook.db'}")
    try:
        assert nbgb.find_assignment("lab01").max_score == 8.0
        sub = nbgb.find_submission("lab01", "ann")
        assert sub.score == 2.0
        assert nbgb.find_grade("test_mean_center", "lab01", "lab01", "ann").auto_score == 2.0
    finally:
        nbgb.close()
