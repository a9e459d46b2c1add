"""autograde: refuses untrusted code without a sandbox unless told, and records that it was told."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from graders import autograde as autograde_module
from graders.autograde import autograde
from graders.config import GradeConfig
from graders.errors import GraderError
from graders.grade_task import GradeTask, grade_submission
from graders.gradebook import Gradebook
from graders.sandbox import LocalBackend, SandboxUnavailable


@pytest.fixture
def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend no isolating backend works on this machine."""

    def select(*, allow_unsandboxed: bool = False) -> LocalBackend:
        if not allow_unsandboxed:
            raise SandboxUnavailable(
                "no isolating sandbox (bwrap missing); pass --allow-unsandboxed"
            )
        return LocalBackend()

    monkeypatch.setattr("graders.sandbox.select_backend", select)


def test_refuses_without_a_sandbox(
    sample_course: Path, submit: Callable[..., Path], no_sandbox: None
) -> None:
    """Without an isolating backend, is grading refused with one line naming the flag?"""
    submit("ann")
    with pytest.raises(GraderError, match="--allow-unsandboxed"):
        autograde(course_dir=sample_course, lab="lab01", workers=1)


@pytest.mark.slow
def test_allow_unsandboxed_is_recorded(
    sample_course: Path, submit: Callable[..., Path], no_sandbox: None
) -> None:
    """With --allow-unsandboxed, does it grade and record the unsandboxed run and backend?"""
    submit("ann")
    result = autograde(
        course_dir=sample_course, lab="lab01", workers=1, config=GradeConfig(allow_unsandboxed=True)
    )
    assert [(r.student, r.total, r.sandbox) for r in result.results] == [("ann", 8.0, "local")]
    with Gradebook(sample_course / "gradebook.db") as gb:
        run = gb.runs()[-1]
    assert run["allow_unsandboxed"] == 1 and run["isolating"] == 0 and run["backend"] == "local"


def test_task_is_self_contained_and_picklable(sample_course: Path) -> None:
    """Does a grading task carry everything as plain picklable values (ready for a cluster)?"""
    import pickle

    with Gradebook(sample_course / "gradebook.db") as gb:
        notebooks = gb.lab_notebooks("lab01")
    task = GradeTask("ann", "lab01", "/in", "/out", notebooks, GradeConfig())
    assert pickle.loads(pickle.dumps(task)) == task
    assert grade_submission.__module__ == "graders.grade_task"
    assert autograde_module.GradeTask is GradeTask


def test_unknown_student_is_one_clear_error(
    sample_course: Path, submit: Callable[..., Path]
) -> None:
    """Does asking for a student without a submission folder say who is missing?"""
    submit("ann")
    with pytest.raises(GraderError, match="no submission folder for: zed"):
        autograde(
            course_dir=sample_course,
            lab="lab01",
            students=["zed"],
            config=GradeConfig(allow_unsandboxed=True),
        )


@pytest.mark.slow
def test_a_dead_worker_costs_a_retry_not_the_cohort(
    sample_course: Path, submit: Callable[..., Path]
) -> None:
    """When a worker process dies, are the other submissions of the broken pool graded again
    (not all recorded as crashed), and is only a task that keeps killing workers an error?"""
    from grader_helpers import grade_or_kill_worker

    from graders.course import Course

    students = ["ann", "bob", "dies-once", "always-dies"]
    for student in students:
        submit(student)
    course = Course(sample_course)
    with Gradebook.open_existing(course.gradebook) as gb:
        notebooks = gb.lab_notebooks("lab01")
    config = GradeConfig(allow_unsandboxed=True, cell_timeout_s=20)
    tasks = [
        GradeTask(s, "lab01", str(course.submitted(s, "lab01")), str(course.autograded(s, "lab01")),
                  notebooks, config)
        for s in students
    ]  # fmt: skip
    results: dict[str, object] = {}
    autograde_module._run_pool(
        tasks, 2, lambda r: results.__setitem__(r.student, r), grade_or_kill_worker
    )
    status = {s: r.status for s, r in results.items()}  # type: ignore[attr-defined]
    assert status == {
        "ann": "graded",
        "bob": "graded",
        "dies-once": "graded",
        "always-dies": "error:grader-crashed",
    }


IMPOSTOR = "import pathlib\npathlib.Path({marker!r}).write_text('imported from the cwd')\n"


@pytest.mark.slow
def test_grading_from_a_folder_holding_another_graders_package(
    sample_course: Path, submit: Callable[..., Path], tmp_path: Path
) -> None:
    """Run from a folder with its own `graders/` and `multiprocessing/`, does `mlops-grade
    autograde` (2 workers, so a forkserver) still grade with the installed engine, never
    importing either copy?"""
    import subprocess
    import sys

    for student in ("ann", "bob"):
        submit(student)
    here = tmp_path / "elsewhere"
    marker = tmp_path / "impostor-ran"
    for package in ("graders", "multiprocessing"):
        (here / package).mkdir(parents=True)
        (here / package / "__init__.py").write_text(IMPOSTOR.format(marker=str(marker)))
    cli = Path(sys.executable).parent / "mlops-grade"
    run = subprocess.run(
        [str(cli), "autograde", "lab01", "--course-dir", str(sample_course), "--workers", "2",
         "--allow-unsandboxed", "--json"],
        cwd=here, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert not marker.exists(), marker.read_text()
    by_status = json.loads(run.stdout)["by_status"]
    assert {k: sorted(v) for k, v in by_status.items()} == {"graded": ["ann", "bob"]}
