"""feedback, export and report from gradebook rows (no execution needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graders.export import export
from graders.feedback import feedback
from graders.gradebook import Gradebook
from graders.report import report
from graders.results import NotebookResult, SubmissionResult, TestResult


@pytest.fixture
def graded(sample_course: Path) -> Path:
    def sub(
        student: str, status: str, passed: bool, tampering: list[str] | None = None
    ) -> SubmissionResult:
        tests = [
            TestResult("test_mean_center", "test_mean_center", 2.0 if passed else 0.0, 2.0,
                       passed, True, "" if passed else "a hidden check failed"),
            TestResult("test_circle_area", "test_circle_area", 0.0, 6.0, False, False,
                       "assertion failed: assert math.isclose(circle_area(1.0), math.pi)"),
        ]  # fmt: skip
        return SubmissionResult(
            student, "lab01", [NotebookResult("lab01", status, tests, tampering or [])]
        )

    with Gradebook(sample_course / "gradebook.db") as gb:
        gb.save_result(sub("ann", "graded", True))
        gb.save_result(sub("ben", "error:kernel-died", False))
        gb.save_result(
            sub("cat", "tampered:edited-test-cell", True, ["edited-test-cell:test_circle_area"])
        )
    return sample_course


def test_feedback_pages_say_what_failed_and_why(graded: Path) -> None:
    """Does each student get a page with results, points, reasons, and a plain status note?"""
    files = feedback(course_dir=graded, lab="lab01").files
    assert len(files) == 3
    ben = (graded / "feedback" / "ben" / "lab01" / "lab01.html").read_text()
    assert "0 / 8" in ben and "stopped before every test" in ben and "hidden test" in ben
    assert "assert math.isclose(circle_area(1.0), math.pi)" in ben  # public test: shown
    cat = (graded / "feedback" / "cat" / "lab01" / "lab01.html").read_text()
    assert "restored from the original" in cat


def test_feedback_carries_what_nbgrader_release_feedback_matches_on(graded: Path) -> None:
    """Does the feedback folder get the submission's timestamp and secret (exchange-collected),
    and does a submission without them (copied by hand) still get its page only?"""
    ann = graded / "submitted" / "ann" / "lab01"
    ann.mkdir(parents=True)
    (ann / "timestamp.txt").write_text("2026-11-27 06:00:00.000000 UTC")
    (ann / "submission_secret.txt").write_text("a1b2c3")
    feedback(course_dir=graded, lab="lab01")
    out = graded / "feedback" / "ann" / "lab01"
    assert (out / "timestamp.txt").read_text() == "2026-11-27 06:00:00.000000 UTC"
    assert (out / "submission_secret.txt").read_text() == "a1b2c3"
    assert sorted(p.name for p in (graded / "feedback" / "ben" / "lab01").iterdir()) == [
        "lab01.html"
    ]


def test_feedback_escapes_student_text(sample_course: Path) -> None:
    """Is text that came from the student's code escaped in the HTML?"""
    t = TestResult(
        "t", "t", 0.0, 1.0, False, False, "your code raised ValueError: <script>alert(1)</script>"
    )
    with Gradebook(sample_course / "gradebook.db") as gb:
        gb.save_result(SubmissionResult("eve", "lab01", [NotebookResult("lab01", "graded", [t])]))
    feedback(course_dir=sample_course, lab="lab01")
    html = (sample_course / "feedback" / "eve" / "lab01" / "lab01.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_export_never_writes_a_silent_zero(graded: Path, tmp_path: Path) -> None:
    """Does the CSV carry each status, and the Canvas file leave an errored grade empty?"""
    grades, canvas = export(course_dir=graded, out_dir=tmp_path).files
    rows = {r["student"]: r for r in csv.DictReader(Path(grades).read_text().splitlines())}
    assert rows["ben"]["lab01"] == "0" and rows["ben"]["lab01_status"] == "error:kernel-died"
    assert rows["cat"]["lab01_status"] == "tampered:edited-test-cell"
    table = list(csv.reader(Path(canvas).read_text().splitlines()))
    assert table[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table[1][0].strip() == "Points Possible" and table[1][-1] == "8"
    assert {r[0]: r[-1] for r in table[2:]} == {"ann": "2", "ben": "", "cat": "2"}


def test_report_summarizes_and_plots(graded: Path) -> None:
    """Does the report count statuses, rank tests by pass rate and embed two plots?"""
    result = report(course_dir=graded, lab="lab01")
    (lab,) = result.labs
    assert lab.statuses == {"graded": 1, "error:kernel-died": 1, "tampered:edited-test-cell": 1}
    assert lab.pass_rate == {"test_circle_area": 0.0, "test_mean_center": round(2 / 3, 3)}
    html = Path(result.html).read_text()
    assert html.count("data:image/png;base64,") == 2


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_export_neutralises_formulas_in_every_cell(sample_course: Path, tmp_path: Path) -> None:
    """Does a student id a spreadsheet would run as a formula get a leading quote in both CSVs
    (and one holding a CR no row of its own), while ordinary ids stay as they are?"""
    with Gradebook(sample_course / "gradebook.db") as gb:
        for student in [*FORMULAS, "alice"]:
            gb.save_result(SubmissionResult(student, "lab01", [NotebookResult("lab01")]))
    grades, canvas = export(course_dir=sample_course, out_dir=tmp_path).files
    for path, column, head in ((grades, 0, 1), (canvas, 3, 2)):
        with Path(path).open(newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) == head + len(FORMULAS) + 1  # a CR in an id starts no row of its own
        cells = [c for row in rows for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], path
        ids = {row[column] for row in rows[1:]}
        assert {"'" + f for f in FORMULAS} | {"alice"} <= ids, ids


def test_report_tables_print_names_literally(graded: Path) -> None:
    """Is a lab or test name that looks like Rich markup printed as it is?"""
    from io import StringIO

    from rich.console import Console

    from graders.report import LabSummary, print_tables

    out = StringIO()
    summary = LabSummary(
        "lab[bold]01", 1, 1.0, 1.0, 1.0, {"graded": 1}, {"test_[conceal]x": 1.0}, [1.0]
    )
    print_tables([summary], Console(file=out, width=200))
    assert "lab[bold]01" in out.getvalue() and "test_[conceal]x" in out.getvalue()


def test_feedback_is_the_learners_notebook_with_results_in_place(
    graded: Path,
) -> None:
    """Is the page titled like the notebook, with the learner's code and answers (escaped),
    each test cell's public code and results in place, and no hidden test code?"""
    import json
    import shutil

    from grader_helpers import SOLUTIONS, fill_answers, read_notebook

    released = read_notebook(graded / "release" / "lab01" / "lab01.ipynb")
    nb = fill_answers(released, SOLUTIONS)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "why_center":
            cell["source"] = "<script>alert('x')</script> because means differ"
    out = graded / "autograded" / "ann" / "lab01"
    out.mkdir(parents=True)
    (out / "lab01.ipynb").write_text(json.dumps(nb))
    feedback(course_dir=graded, lab="lab01", students=["ann"])
    page = (graded / "feedback" / "ann" / "lab01" / "lab01.html").read_text()
    source = (graded / "source" / "lab01" / "lab01.ipynb").read_text()
    heading = next(
        line.lstrip("# ").strip()
        for c in json.loads(source)["cells"]
        if c["cell_type"] == "markdown"
        for line in "".join(c["source"]).splitlines()
        if line.startswith("#")
    )
    assert f"<title>{heading}" in page.replace("&#x27;", "'")
    assert "Your notebook, with the results in place" in page
    assert "x - x.mean()" in page  # the learner's own code
    assert "&lt;script&gt;alert" in page and "<script>alert" not in page
    assert "np.arange(10.0)" not in page and "BEGIN HIDDEN" not in page  # hidden tests
    assert "mean_center(x), [-1.0, 0.0, 1.0]" in page  # a test cell's public code
    shutil.rmtree(out)
