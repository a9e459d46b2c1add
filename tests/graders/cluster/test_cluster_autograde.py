"""autograde --scheduler: the same grading on a real Dask cluster (scheduler + 2 worker processes).

Every test here grades on worker processes started by `dask worker` on 127.0.0.1; the fault tests
kill those processes (and the scheduler) for real.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from adversarial.adversarial_cohort import LAB, AnswerServer, build_course

from graders.autograde import autograde
from graders.config import GradeConfig
from graders.errors import GraderError

from .cluster_kit import LiveCluster, start_cluster

pytestmark = [pytest.mark.slow, pytest.mark.sandbox, pytest.mark.timeout(300)]

CONFIG = GradeConfig(cell_timeout_s=5.0, wall_time_s=60.0)


@pytest.fixture(autouse=True)
def _sandbox(isolating_backend: Any) -> None:
    """Workers grade in bubblewrap, as the pool does here (skipped, or failed in CI, without)."""


def make_course(root: Path, cases: list[str], honest_copies: int = 0) -> Path:
    """A released course with one submission per case, plus copies of the honest one."""
    server = AnswerServer()
    try:
        build_course(root, cases, server)
    finally:
        server.close()
    for i in range(honest_copies):
        shutil.copytree(root / "submitted" / "00_honest", root / "submitted" / f"honest_{i}")
    return root


def stored(course: Path) -> dict[str, tuple[str, float]]:
    """(status, score) per student, as the gradebook holds them."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("SELECT student, status, total FROM mlops_submission WHERE lab=?", (LAB,))
        return {s: (status, total) for s, status, total in rows}


def test_the_cli_grades_on_the_cluster_and_says_where(
    dask_cluster: LiveCluster, tmp_path: Path
) -> None:
    """Does `mlops-grade autograde --scheduler` grade every submission (spread over both workers),
    say which scheduler, dashboard and sandboxes it used, and record the run as a cluster run?
    (That the cluster grades like the pool is asked of the whole adversarial suite, in
    tests/graders/adversarial/test_adversarial_cluster.py.)"""
    course = make_course(tmp_path / "course", ["00_honest", "41_edited_test_cell"], 2)
    env = {**os.environ, "MLOPS_GRADE_CELL_TIMEOUT_S": "5", "MLOPS_GRADE_WALL_TIME_S": "60"}
    run = subprocess.run(
        [str(Path(sys.executable).parent / "mlops-grade"), "autograde", LAB,
         "--course-dir", str(course), "--scheduler", dask_cluster.address],
        capture_output=True, text=True, env={**env, "COLUMNS": "200"}, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert stored(course) == {
        "00_honest": ("graded", 8.0), "honest_0": ("graded", 8.0), "honest_1": ("graded", 8.0),
        "41_edited_test_cell": ("tampered:edited-test-cell", 6.0),
    }  # fmt: skip
    assert f"Dask scheduler {dask_cluster.address}" in run.stderr
    assert "dashboard: http://127.0.0.1:" in run.stderr
    assert run.stderr.count(" grades: isolated") == 2  # each worker probed its own sandbox
    counts = run.stdout.split("results per worker: ")[1].splitlines()[0]
    per_worker = dict(item.rsplit(" ", 1) for item in counts.split(", "))
    assert len(per_worker) == 2 and sum(map(int, per_worker.values())) == 4
    with sqlite3.connect(course / "gradebook.db") as db:
        backend, isolating, workers = db.execute(
            "SELECT backend, isolating, workers FROM mlops_run ORDER BY id DESC"
        ).fetchone()
    assert (backend, isolating, workers) == ("dask:bubblewrap", 1, 2)


def test_interrupted_run_resumes_and_the_client_is_the_one_writer(
    dask_cluster: LiveCluster, tmp_path: Path
) -> None:
    """Is each result in the gradebook as soon as it arrives (workers never see the gradebook),
    and does a run stopped after two results resume with the rest, skipping those two?"""
    course = make_course(tmp_path / "course", ["00_honest", "41_edited_test_cell"], 4)
    # The workers see only submitted/ and autograded/: no gradebook to write, whatever they do.
    view = tmp_path / "worker-view"
    view.mkdir()
    for folder in ("submitted", "autograded"):
        (course / folder).mkdir(exist_ok=True)
        (view / folder).symlink_to(course / folder)
    seen: list[str] = []

    def stop_after_two(result: Any) -> None:
        assert stored(course)[result.student][1] == result.total  # written before we hear of it
        seen.append(result.student)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        autograde(
            course_dir=course, lab=LAB, config=CONFIG, scheduler=dask_cluster.address,
            worker_course_dir=str(view), on_result=stop_after_two,
        )  # fmt: skip
    assert sorted(stored(course)) == sorted(seen)
    rest = autograde(
        course_dir=course, lab=LAB, config=CONFIG, scheduler=dask_cluster.address,
        worker_course_dir=str(view),
    )  # fmt: skip
    assert sorted(rest.skipped) == sorted(seen)
    assert len(rest.results) == 4 and not set(seen) & {r.student for r in rest.results}
    final = stored(course)
    assert len(final) == 6
    assert final["41_edited_test_cell"] == ("tampered:edited-test-cell", 6.0)
    assert {v for s, v in final.items() if s != "41_edited_test_cell"} == {("graded", 8.0)}
    assert not (view / "gradebook.db").exists()


def test_a_worker_killed_mid_run_loses_nothing(dask_cluster: LiveCluster, tmp_path: Path) -> None:
    """When a worker process is killed while grading, is every submission still graded once,
    with its honest score (its task retried on the other worker, the nanny restarting it)?"""
    course = make_course(tmp_path / "course", ["00_honest"], honest_copies=5)
    killed: list[int] = []

    def kill_a_busy_worker(result: Any) -> None:
        if killed:
            return
        busy = [w for w, keys in dask_cluster.client.processing().items() if keys]
        pid = dask_cluster.worker_pid(busy[0])
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    run = autograde(
        course_dir=course, lab=LAB, config=CONFIG, scheduler=dask_cluster.address,
        on_result=kill_a_busy_worker,
    )  # fmt: skip
    assert killed
    assert sorted(r.student for r in run.results) == sorted(stored(course))
    assert set(stored(course).values()) == {("graded", 8.0)} and len(stored(course)) == 6
    dask_cluster.wait_for_workers(2)  # the nanny brought a new worker process up


def test_a_task_that_kills_every_worker_is_crashed_alone(
    dask_cluster: LiveCluster, tmp_path: Path
) -> None:
    """Is a submission whose grading kills each worker it runs on recorded as grader-crashed,
    while one that killed a worker only once, and the others, are graded?"""
    from grader_helpers import grade_or_kill_worker

    from graders.cluster import DaskEngine
    from graders.course import Course
    from graders.grade_task import GradeTask
    from graders.gradebook import Gradebook

    course = make_course(tmp_path / "course", ["00_honest"])
    for name in ("dies-once", "always-dies"):
        shutil.copytree(course / "submitted" / "00_honest", course / "submitted" / name)
    c = Course(course)
    with Gradebook.open_existing(c.gradebook) as gb:
        notebooks = gb.lab_notebooks(LAB)
    tasks = [
        GradeTask(s, LAB, str(c.submitted(s, LAB)), str(c.autograded(s, LAB)), notebooks, CONFIG)
        for s in ("00_honest", "dies-once", "always-dies")
    ]
    results: dict[str, Any] = {}
    with DaskEngine.connect(
        dask_cluster.address, course_dir=course, modules=["numpy", "pandas"]
    ) as engine:
        engine.run(tasks, lambda r: results.__setitem__(r.student, r), grade_or_kill_worker)
    assert {s: r.status for s, r in results.items()} == {
        "00_honest": "graded",
        "dies-once": "graded",
        "always-dies": "error:grader-crashed",
    }
    assert (
        "every Dask worker that ran this submission died"
        in results["always-dies"].notebooks[0].reason
    )
    dask_cluster.wait_for_workers(2)


def test_a_worker_without_a_sandbox_refuses_and_says_why(
    dask_cluster: LiveCluster, tmp_path: Path
) -> None:
    """Does a worker whose machine has no bubblewrap report why and receive no submission, while
    the others grade them all; and with no worker able to grade, is the run refused?"""
    course = make_course(tmp_path / "course", ["00_honest"], honest_copies=3)
    no_bwrap = tmp_path / "empty-path"
    no_bwrap.mkdir()
    extra = dask_cluster.add_worker("no-sandbox", PATH=str(no_bwrap))
    try:
        dask_cluster.wait_for_workers(3)
        infos: list[Any] = []
        run = autograde(
            course_dir=course, lab=LAB, config=CONFIG, scheduler=dask_cluster.address,
            on_cluster=infos.append,
        )  # fmt: skip
        refusing = [w for w in infos[0].workers if not w.accepts]
        assert len(refusing) == 1 and "refuses tasks: no isolating sandbox" in refusing[0].reason
        assert "bubblewrap" in refusing[0].reason
        assert refusing[0].address not in run.per_worker
        assert sum(run.per_worker.values()) == 4
        assert set(stored(course).values()) == {("graded", 8.0)}
    finally:
        dask_cluster.stop_worker(extra)
    dask_cluster.wait_for_workers(2)
    # Workers that cannot see the course folder refuse too, each with its reason: one line.
    with pytest.raises(GraderError, match="no worker of .* can grade: .*cannot see the course"):
        autograde(
            course_dir=course, lab=LAB, config=CONFIG, scheduler=dask_cluster.address,
            worker_course_dir=str(tmp_path / "not-mounted"), force=True,
        )  # fmt: skip


def test_the_scheduler_going_away_stops_the_run_with_what_is_recorded(
    dask_cluster: LiveCluster, tmp_path: Path
) -> None:
    """When the scheduler dies mid-run, does the run stop with one clear message, every result
    it had received stay in the gradebook, and a re-run grade only the rest?"""
    course = make_course(tmp_path / "course", ["00_honest"], honest_copies=3)
    cluster = start_cluster(tmp_path / "logs", workers=1)
    recorded: list[str] = []

    def kill_scheduler(result: Any) -> None:
        recorded.append(result.student)
        if len(recorded) == 1:
            os.kill(cluster.scheduler.pid, signal.SIGKILL)

    try:
        with pytest.raises(GraderError, match="went away after") as err:
            autograde(
                course_dir=course, lab=LAB, config=CONFIG, scheduler=cluster.address,
                on_result=kill_scheduler,
            )  # fmt: skip
    finally:
        cluster.close()
    message = str(err.value)
    assert f"after {len(recorded)} of 4 results" in message and "re-run" in message
    assert sorted(stored(course)) == sorted(recorded)
    # "Start the cluster again": the module's cluster stands in for it.
    rest = autograde(course_dir=course, lab=LAB, config=CONFIG, scheduler=dask_cluster.address)
    assert sorted(rest.skipped) == sorted(recorded)
    assert len(stored(course)) == 4


def test_a_run_no_worker_can_take_stops_after_the_stall_timeout(
    dask_cluster: LiveCluster, tmp_path: Path
) -> None:
    """When every worker is gone mid-run (none comes back), does the run stop after the stall
    timeout with one clear message, keep every result it received, and resume elsewhere?"""
    course = make_course(tmp_path / "course", ["00_honest"], honest_copies=3)
    cluster = start_cluster(tmp_path / "logs", workers=1)
    recorded: list[str] = []
    stopped: list[float] = []

    def stop_every_worker(result: Any) -> None:
        recorded.append(result.student)
        if not stopped:
            cluster.stop_worker(cluster.workers[0])  # the worker and its nanny: nothing restarts
            stopped.append(time.monotonic())

    try:
        with pytest.raises(GraderError, match="could take grading tasks for 3 s") as err:
            autograde(
                course_dir=course, lab=LAB, config=CONFIG, scheduler=cluster.address,
                on_result=stop_every_worker, stall_timeout_s=3,
            )  # fmt: skip
        waited = time.monotonic() - stopped[0]
    finally:
        cluster.close()
    message = str(err.value)
    assert "(no worker connected)" in message and "re-run the same command" in message
    assert f"{len(recorded)} of 4 results are in the gradebook" in message
    assert 3 <= waited < 30, f"stopped {waited:.1f} s after the last worker left"
    assert sorted(stored(course)) == sorted(recorded)
    rest = autograde(course_dir=course, lab=LAB, config=CONFIG, scheduler=dask_cluster.address)
    assert sorted(rest.skipped) == sorted(recorded)
    assert set(stored(course).values()) == {("graded", 8.0)} and len(stored(course)) == 4


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    """Is a scheduler nobody listens at a one-line error (exit 1) that names it?"""
    course = make_course(tmp_path / "course", ["00_honest"])
    from .cluster_kit import free_port

    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s",
           "MLOPS_GRADE_SCHEDULER": address}  # fmt: skip
    run = subprocess.run(
        [str(Path(sys.executable).parent / "mlops-grade"), "autograde", LAB, "--course-dir",
         str(course), "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines == [lines[-1]] and lines[-1].startswith(
        f"error: cannot reach the Dask scheduler at {address}"
    ), run.stderr
    assert stored(course) == {}
