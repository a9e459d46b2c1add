"""Lab revisions: re-releasing a lab after a fix never turns honest submissions into tampering."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from graders.autograde import autograde
from graders.config import GradeConfig
from graders.errors import GraderError
from graders.gradebook import Gradebook
from graders.release import release


def _edit_test(course: Path, grade_id: str, old: str, new: str) -> None:
    path = course / "source" / "lab01" / "lab01.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            text = "".join(cell["source"])
            assert old in text
            cell["source"] = text.replace(old, new)
    path.write_text(json.dumps(nb))


@pytest.mark.slow
@pytest.mark.sandbox
def test_rerelease_with_submissions_needs_a_reason_and_keeps_honest_students_graded(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: object
) -> None:
    """Release, submit, fix a test, re-release: refused without --revision; with it, the
    submission made from revision 1 is `graded` (not tampered) with the new test's outcome."""
    submit("ann")
    _edit_test(sample_course, "test_circle_area", "math.pi)", "math.pi, rel_tol=1e-6)")
    with pytest.raises(GraderError, match="--revision"):
        release(course_dir=sample_course, lab="lab01")
    out = release(course_dir=sample_course, lab="lab01", revision="looser tolerance")
    assert out.revision == 2
    run = autograde(course_dir=sample_course, lab="lab01", workers=1, config=GradeConfig())
    (ann,) = run.results
    assert ann.status == "graded", [nb.reason for nb in ann.notebooks]
    assert ann.total == ann.possible
    with Gradebook(sample_course / "gradebook.db") as gb:
        assert [(r, why) for r, why, _ in gb.revisions("lab01")] == [
            (1, "first release"),
            (2, "looser tolerance"),
        ]


@pytest.mark.slow
@pytest.mark.sandbox
def test_an_edit_matching_no_release_is_still_tampering(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: object
) -> None:
    """Does a test cell that matches no revision's release still count as edited?"""
    path = submit("bob")
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_circle_area":
            cell["source"] = "assert True"
    path.write_text(json.dumps(nb))
    release(course_dir=sample_course, lab="lab01", revision="same tests, new wording")
    run = autograde(course_dir=sample_course, lab="lab01", workers=1, config=GradeConfig())
    assert run.results[0].status.startswith("tampered:edited-test-cell")
