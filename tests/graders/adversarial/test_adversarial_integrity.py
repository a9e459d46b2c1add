"""After the adversarial cohort: nothing leaks, failures are recorded, nothing is left running.

Leaks: hidden test code and solution code appear nowhere a student or the registrar can see —
`release/`, `check` output, feedback HTML, exported CSVs. Records: every tampering and error is
in the export with its status, and the run's per-status counts name the students concerned.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
from pathlib import Path

import pytest

from graders.check import check
from graders.export import export
from graders.feedback import feedback

from .adversarial_cohort import CONFIG, LAB, LAB_SOURCE, Cohort, case_names, live_processes

pytestmark = [pytest.mark.slow]

MARKERS = re.compile(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)")


def secret_lines() -> list[str]:
    """Lines inside solution and hidden-test regions of the source notebook (10+ characters)."""
    nb = json.loads((LAB_SOURCE / LAB / f"{LAB}.ipynb").read_text())
    lines: list[str] = []
    for cell in nb["cells"]:
        inside = False
        for line in "".join(cell["source"]).splitlines():
            if MARKERS.search(line):
                inside = line.strip().startswith("### BEGIN")
                continue
            if inside and len(line.strip()) >= 10:
                lines.append(line.strip())
    return lines


def _leaks(text: str) -> list[str]:
    return [line for line in secret_lines() if line in text]


@pytest.fixture(scope="session")
def artifacts(cohort: Cohort, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Everything a student or registrar sees, by name: released files, check, feedback, CSVs."""
    course = cohort.course
    seen: dict[str, str] = {}
    for path in sorted((course / "release").rglob("*")):
        if path.is_file():
            seen[f"release/{path.relative_to(course / 'release')}"] = path.read_text()
    for f in feedback(course_dir=course, lab=LAB).files:
        seen[f"feedback/{Path(f).relative_to(course / 'feedback')}"] = Path(f).read_text()
    for f in export(course_dir=course).files:
        seen[f"export/{Path(f).name}"] = Path(f).read_text()
    for case in ("01_unanswered", "00_honest", "41_edited_test_cell"):
        folder = tmp_path_factory.mktemp(f"check-{case}")
        shutil.copytree(course / "submitted" / case / LAB, folder, dirs_exist_ok=True)
        result = check(notebook=folder / f"{LAB}.ipynb", config=CONFIG)
        seen[f"check/{case}"] = json.dumps(result.to_dict())
    return seen


def test_the_leak_scan_can_see_secrets() -> None:
    """Positive control: does the scan find the secret lines in the source notebook itself?"""
    lines = secret_lines()
    assert len(lines) >= 8
    assert _leaks((LAB_SOURCE / LAB / f"{LAB}.ipynb").read_text().replace('\\"', '"'))


def test_no_hidden_test_or_solution_leaks(artifacts: dict[str, str]) -> None:
    """Do release/, check output, feedback HTML and exports hold no hidden test or solution?"""
    kinds = {name.split("/")[0] for name in artifacts}
    assert kinds == {"release", "feedback", "export", "check"}
    leaks = {name: _leaks(text) for name, text in artifacts.items() if _leaks(text)}
    assert leaks == {}


def test_check_is_honest_about_hidden_tests(artifacts: dict[str, str]) -> None:
    """Does `check` say how many hidden tests remain, even when every public test passes?"""
    honest = json.loads(artifacts["check/00_honest"])
    assert honest["passed"] == honest["public_tests"] > 0, honest
    assert honest["hidden_tests"] > 0
    assert f"{honest['hidden_tests']} hidden tests will run at grading" in honest["summary"]
    assert "all tests passed" not in honest["summary"].lower()
    edited = json.loads(artifacts["check/41_edited_test_cell"])
    assert edited["tampering"], "check must flag an edited test cell before submission"


def test_feedback_names_failed_tests_in_plain_words(
    cohort: Cohort, artifacts: dict[str, str]
) -> None:
    """Does feedback show each failed test by name with a reason, and each error status?"""
    for case in ("41_edited_test_cell", "10_infinite_loop", "50_patch_numpy"):
        page = artifacts[f"feedback/{case}/{LAB}/{LAB}.html"]
        failed = [t for t in cohort.results[case].tests if not t.passed]
        assert failed, f"{case} should have failed tests"
        for test in failed:
            assert html.escape(test.name) in page
            if not test.hidden:  # a hidden test shows its name and result, not its code
                assert html.escape(test.message) in page, f"{case}: {test.message!r} not shown"
    timeout = artifacts[f"feedback/10_infinite_loop/{LAB}/{LAB}.html"]
    assert "time limit" in timeout


def test_export_records_every_status(cohort: Cohort, artifacts: dict[str, str]) -> None:
    """Is every case's status (error, tampered) in the exported CSV, never a silent 0?"""
    rows = {r["student"]: r for r in csv.DictReader(artifacts["export/grades.csv"].splitlines())}
    for name, result in cohort.results.items():
        row = rows[name]
        assert result.status in row.values(), f"{name}: {result.status} missing from {row}"


def test_run_report_counts_statuses_and_names_students(cohort: Cohort) -> None:
    """Does the run's summary give counts per status with the students concerned?"""
    listed = sorted(s for students in cohort.by_status.values() for s in students)
    assert listed == sorted(cohort.results)
    kinds = {status.split(":")[0] for status in cohort.by_status}
    assert kinds == {"graded", "error", "tampered"}


def test_no_process_outlives_the_run(cohort: Cohort) -> None:
    """After the cohort (fork storm, setsid survivors included), is no process of it left?"""
    assert live_processes(str(cohort.course)) == []


def test_every_case_was_graded_or_skipped_visibly(cohort: Cohort) -> None:
    """Is each case either graded or skipped with a reason (never silently dropped)?"""
    assert sorted([*cohort.results, *cohort.skipped_cases]) == case_names()


def test_cli_run_report_shows_counts_and_students(cohort: Cohort) -> None:
    """Does `mlops-grade autograde` print each status with its count and students?"""
    from typer.testing import CliRunner

    from graders.cli import app

    chosen = ["00_honest", "16_os_exit_1", "40_deleted_test_cell"]
    args = ["autograde", LAB, "--course-dir", str(cohort.course), "--force", "--workers", "1"]
    args += ["--cell-timeout", "10", "--wall-time", "30"]
    for name in chosen:
        args += ["--student", name]
    out = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    for name in chosen:
        status = cohort.results[name].status
        row = next((line for line in lines if name in line), "")
        assert status in row and " 1 " in row, f"{name}/{status} not reported:\n{out.output}"
