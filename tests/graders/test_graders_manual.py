"""Manually graded answers: seen after autograde, partial in the export until graded, graded in
nbgrader's formgrader (its API) or with `mlops-grade grade-manual`, kept across regrades."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from grader_helpers import SAMPLE, SOLUTIONS, fill_answers, read_notebook, write_notebook
from typer.testing import CliRunner

from graders.cli import app
from graders.release import release

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


@pytest.fixture
def course(tmp_path: Path, isolating_backend: Any) -> Path:
    root = tmp_path / "course"
    shutil.copytree(SAMPLE / "source", root / "source")
    path = root / "source" / "lab01" / "lab01.ipynb"
    nb = read_notebook(path)
    for cell in nb["cells"]:  # the written answer becomes manually graded (2 points)
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id") == "why_center":
            meta.update(grade=True, points=2)
    write_notebook(nb, path)
    release(course_dir=root, lab="lab01")
    released = read_notebook(root / "release" / "lab01" / "lab01.ipynb")
    answers = fill_answers(released, SOLUTIONS)
    for cell in answers["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "why_center":
            cell["source"] = "To measure every feature from its own mean."
    write_notebook(answers, root / "submitted" / "ann" / "lab01" / "lab01.ipynb")
    return root


def cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def grades(course: Path) -> dict[str, str]:
    cli("export", "--course-dir", str(course))
    with open(course / "exports" / "grades.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    with open(course / "exports" / "canvas.csv", newline="") as f:
        canvas = list(csv.reader(f))
    return {**row, "canvas": canvas[2][-1], "possible": canvas[1][-1]}


def test_a_manual_answer_is_pending_until_graded_with_nbgraders_api(course: Path) -> None:
    """After autograde: does the CLI say an answer awaits grading, the export show a partial
    score and Canvas nothing; after a score entered through nbgrader's API, the full score?"""
    out = cli("autograde", "lab01", "--course-dir", str(course)).output
    assert "1 answers of 1 students await manual grading (2 points" in out
    before = grades(course)
    assert (before["lab01"], before["lab01_manual_pending"], before["canvas"]) == ("8", "2", "")
    assert before["possible"] == "10"
    api = pytest.importorskip("nbgrader.api")
    gb = api.Gradebook(f"sqlite:///{course / 'gradebook.db'}")
    try:
        grade = gb.find_grade("why_center", "lab01", "lab01", "ann")
        grade.manual_score = 1.5
        gb.db.commit()
    finally:
        gb.close()
    after = grades(course)
    assert (after["lab01"], after["lab01_manual_pending"], after["canvas"]) == ("9.5", "0", "9.5")


def test_grade_manual_records_a_score_that_survives_a_regrade(course: Path) -> None:
    """Does `grade-manual` list the answer, record a score and comment that the feedback shows,
    and does a forced regrade keep them?"""
    cli("autograde", "lab01", "--course-dir", str(course))
    listing = cli("grade-manual", "lab01", "--course-dir", str(course)).output
    assert "why_center" in listing and "own mean" in listing
    cli("grade-manual", "lab01", "--course-dir", str(course), "--student", "ann",
        "--cell", "why_center", "--score", "2", "--comment", "Exactly.")  # fmt: skip
    cli("autograde", "lab01", "--course-dir", str(course), "--force")
    assert grades(course)["lab01"] == "10"
    cli("feedback", "lab01", "--course-dir", str(course))
    page = (course / "feedback" / "ann" / "lab01" / "lab01.html").read_text()
    assert "graded by your instructor" in page and "Exactly." in page
    args = ["--student", "ann", "--cell", "why_center", "--score", "5"]
    bad = CliRunner().invoke(app, ["grade-manual", "lab01", "--course-dir", str(course), *args])
    assert bad.exit_code == 1 and "outside 0..2" in bad.output
