"""The `mlops-grade` CLI: examples in help, one-line domain errors, JSON output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from grader_helpers import SAMPLE
from typer.testing import CliRunner

from graders.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command", ["release", "check", "autograde", "feedback", "export", "report", "doctor"]
)
def test_help_has_an_example(command: str) -> None:
    """Does every subcommand's --help show an example?"""
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "mlops-grade" in result.output and "Example" in result.output


def test_release_json_and_refusal(tmp_path: Path) -> None:
    """Does release print JSON on success and one line with exit 1 on a domain error?"""
    shutil.copytree(SAMPLE / "source", tmp_path / "source")
    ok = runner.invoke(app, ["release", "lab01", "--course-dir", str(tmp_path), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["notebooks"][0]["hidden_tests"] == 4
    bad = runner.invoke(app, ["release", "missing", "--course-dir", str(tmp_path)])
    assert bad.exit_code == 1
    expected = f"error: no source folder for lab 'missing': expected {tmp_path}/source/missing"
    assert bad.output.strip().splitlines() == [expected]


def test_autograde_without_release_is_one_line(tmp_path: Path) -> None:
    """Does autograding a course with no gradebook fail with one clear line?"""
    result = runner.invoke(
        app, ["autograde", "lab01", "--course-dir", str(tmp_path), "--allow-unsandboxed"]
    )
    assert result.exit_code == 1 and "release a lab first" in result.output


def test_doctor_json_lists_backends() -> None:
    """Does doctor report each backend with usable/reason?"""
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0
    assert {b["name"] for b in json.loads(result.output)} >= {"bubblewrap", "local"}


@pytest.mark.slow
@pytest.mark.sandbox
def test_check_and_autograde_commands(
    sample_course: Path, submit, isolating_backend: object
) -> None:  # type: ignore[no-untyped-def]
    """Does check print the honest summary, and autograde print counts per status with names?"""
    path = submit("ann")
    checked = runner.invoke(app, ["check", str(path)])
    assert checked.exit_code == 0
    assert "4/4 public tests pass; 4 hidden tests will run at grading" in checked.output
    graded = runner.invoke(
        app, ["autograde", "lab01", "--course-dir", str(sample_course), "--workers", "1"]
    )
    assert graded.exit_code == 0, graded.output
    assert "graded" in graded.output and "ann" in graded.output
    as_json = runner.invoke(
        app, ["autograde", "lab01", "--course-dir", str(sample_course), "--json"]
    )
    assert json.loads(as_json.output)["skipped"] == ["ann"]


def test_autograde_table_prints_student_ids_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does `alice[conceal]_x` print as it is in the autograde table, not as `alice_x`?"""
    from graders import autograde as autograde_module
    from graders.autograde import AutogradeResult
    from graders.results import NotebookResult, SubmissionResult

    names = ["alice[conceal]_x", "[bold red]bob[/]", "carol[link=http://x]c[/link]"]
    done = AutogradeResult("lab[bold]01", "bubblewrap", True, 1)
    done.results = [SubmissionResult(n, "lab01", [NotebookResult("lab01")]) for n in names]
    monkeypatch.setattr(autograde_module, "autograde", lambda **_: done)
    result = runner.invoke(
        app, ["autograde", "lab[bold]01", "--course-dir", str(tmp_path)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    listed = "alice[conceal]_x (0), [bold red]bob[/] (0), carol[link=http://x]c[/link] (0)"
    assert listed in result.output
    assert "lab[bold]01: 3 graded" in result.output


@pytest.mark.slow
@pytest.mark.sandbox
def test_unknown_names_fail_with_the_known_ones_and_scores_are_shown(
    sample_course: Path, submit: object, isolating_backend: object
) -> None:
    """Does the autograde table show scores; do an unknown lab (close to a known one) and an
    unknown student exit 1 naming what exists; does `report --lab` never overwrite the report
    with an empty one?"""
    submit("ann")  # type: ignore[operator]
    course = ["--course-dir", str(sample_course)]
    graded = runner.invoke(app, ["autograde", "lab01", *course])
    assert graded.exit_code == 0 and "8 / 8" in graded.output and "ann (8)" in graded.output
    close = runner.invoke(app, ["autograde", "lab1", *course])
    assert close.exit_code == 1 and "did you mean lab01?" in close.output
    page = sample_course / "reports" / "report.html"
    assert runner.invoke(app, ["report", *course]).exit_code == 0
    before = page.read_text()
    report = runner.invoke(app, ["report", "--lab", "nope", *course])
    assert report.exit_code == 1 and "no lab 'nope'" in report.output
    assert page.read_text() == before
    nobody = runner.invoke(app, ["feedback", "lab01", "--student", "bob", *course])
    assert nobody.exit_code == 1 and "ann" in nobody.output


def test_check_of_a_missing_file_says_so(tmp_path: Path) -> None:
    """Does `check missing.ipynb` say there is no such notebook (not "was not submitted")?"""
    result = runner.invoke(app, ["check", str(tmp_path / "missing.ipynb")])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: no notebook at {tmp_path / 'missing.ipynb'}"


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("MLOPS_GRADE_STALL_TIMEOUT_S", "-1", "Input should be greater than 0"),
        ("MLOPS_GRADE_CELL_TIMEOUT_S", "abc", "Input should be a valid number"),
    ],
)
def test_a_bad_setting_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, why: str
) -> None:
    """Does a bad MLOPS_GRADE_* value stop the command with one line naming the variable (not a
    traceback)?"""
    from graders.config import get_settings

    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        bad = runner.invoke(app, ["autograde", "lab01", "--course-dir", str(tmp_path)])
    finally:
        monkeypatch.delenv(variable)
        get_settings.cache_clear()
    assert bad.exit_code == 1
    lines = bad.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {variable}={value!r}: {why}"), lines
