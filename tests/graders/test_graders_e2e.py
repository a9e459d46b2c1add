"""End to end on the sample lab: release → check → autograde a cohort → feedback → export."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from grader_helpers import insert_after

from graders.autograde import autograde
from graders.check import check
from graders.config import GradeConfig
from graders.export import export
from graders.feedback import feedback
from graders.gradebook import Gradebook

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

PARTIAL = {
    "add_ratio_answer": "def add_ratio(df):\n    df['ratio'] = 0.5\n    return df",
    "circle_area_answer": "def circle_area(r):\n    return 3.14 * r * r",
}
WRONG = {
    "mean_center_answer": "def mean_center(x):\n    return x",
    "add_ratio_answer": "def add_ratio(df):\n    return df",
    "circle_area_answer": "def circle_area(r):\n    return r",
}
SECRETS = (
    "np.zeros(4)",
    "np.arange(10.0)",
    "4 * math.pi",
    "math.pi / 4",
    "x - x.mean()",
)


def test_check_on_a_correct_notebook(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: object
) -> None:
    """Does check pass every public test and say how many hidden tests remain?"""
    result = check(notebook=submit("ann"), backend=isolating_backend)
    assert result.summary() == "4/4 public tests pass; 4 hidden tests will run at grading"
    assert result.tampering == []


def test_check_flags_a_deleted_test_and_a_failure(
    sample_course: Path, submit: Callable[..., Path], released: dict, isolating_backend: object
) -> None:
    """Does check report a failing public test and a deleted test cell, and leak no hidden code?"""
    from grader_helpers import SOLUTIONS, fill_answers

    nb = fill_answers(released, {**SOLUTIONS, **PARTIAL})
    nb["cells"] = [
        c
        for c in nb["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") != "test_mean_center"
    ]
    result = check(notebook=submit("ann", nb=nb), backend=isolating_backend)
    assert result.summary().startswith("1/3 public tests pass; 4 hidden tests")
    assert "deleted-cell:test_mean_center" in result.tampering
    assert not any(s in json.dumps(result.to_dict()) for s in SECRETS)


def test_cohort_run(sample_course: Path, submit: Callable[..., Path], released: dict) -> None:
    """Does a cohort get the right scores and statuses, resumably, with honest feedback?"""
    submit("correct")
    submit("partial", PARTIAL)
    submit("wrong", WRONG)
    submit(
        "crash", nb=insert_after(_solved(released), "add_ratio_answer", "import os\nos._exit(1)")
    )
    submit("timeout", nb=insert_after(_solved(released), "imports", "while True:\n    pass"))
    (sample_course / "submitted" / "broken" / "lab01").mkdir(parents=True)
    (sample_course / "submitted" / "broken" / "lab01" / "lab01.ipynb").write_text('{"cells": [')
    (sample_course / "submitted" / "empty" / "lab01").mkdir(parents=True)
    # The lab's modules are imported by the warm sandbox before any cell runs (its own 60-120 s
    # preload deadlines), so a cell of an honest notebook here takes well under a second even on
    # a loaded machine (all of "correct"'s cells: 0.3 s at load 7); 5 s is the busy loop's cost.
    config = GradeConfig(cell_timeout_s=5, wall_time_s=120)

    run = autograde(course_dir=sample_course, lab="lab01", workers=2, config=config)
    got = {r.student: (r.status, r.total) for r in run.results}
    assert got == {
        "correct": ("graded", 8.0),
        "partial": ("graded", 3.0),  # mean_center 2 + "has a ratio column" 1; 3.14 is not pi
        "wrong": ("graded", 0.0),
        "crash": ("error:kernel-died", 2.0),  # died before test_add_ratio: nothing after it scores
        "timeout": ("error:timeout", 0.0),
        "broken": ("error:malformed-notebook", 0.0),
        "empty": ("error:missing-notebook", 0.0),
    }
    assert all(r.possible == 8.0 for r in run.results)

    again = autograde(course_dir=sample_course, lab="lab01", workers=1, config=config)
    assert again.results == [] and len(again.skipped) == 7
    forced = autograde(
        course_dir=sample_course, lab="lab01", students=["partial"], force=True, config=config
    )
    assert [(r.student, r.total) for r in forced.results] == [("partial", 3.0)]

    pages = feedback(course_dir=sample_course, lab="lab01").files
    html = Path(next(p for p in pages if "/partial/" in p)).read_text()
    assert "hidden test" in html and "fail" in html and "3 / 8" in html
    for page in pages:
        text = Path(page).read_text()
        # The page is the learner's own notebook: their code may be the solution's words (the
        # "correct" student typed them); nothing they did not write may appear.
        student = Path(page).parts[-3]
        mine = sample_course / "submitted" / student / "lab01" / "lab01.ipynb"
        own = mine.read_text(errors="replace") if mine.is_file() else ""
        assert not any(s in text for s in SECRETS if s not in own), page
    assert "stopped before every test" in Path(next(p for p in pages if "/crash/" in p)).read_text()

    files = export(course_dir=sample_course).files
    rows = {r["student"]: r for r in csv.DictReader(Path(files[0]).read_text().splitlines())}
    assert rows["crash"]["lab01_status"] == "error:kernel-died" and rows["correct"]["lab01"] == "8"
    canvas = list(csv.reader(Path(files[1]).read_text().splitlines()))
    assert canvas[1][-1] == "8" and {r[0]: r[-1] for r in canvas[2:]}["broken"] == ""
    for path in files:
        assert not any(s in Path(path).read_text() for s in SECRETS)
    with Gradebook(sample_course / "gradebook.db") as gb:
        assert gb.runs()[0]["isolating"] == 1 and gb.runs()[0]["backend"] == "bubblewrap"


def _solved(released: dict) -> dict:
    from grader_helpers import SOLUTIONS, fill_answers

    return fill_answers(released, SOLUTIONS)
