"""Slow, self-contained checks that start in the background when the run begins.

A few checks are long and need nothing from the rest of the run: recomputing the course's
figures, mypy over the repository, printing the lab book, building the two container images.
When a run selects the test that reads one of them (its *consumer*), the job starts as soon as
collection ends, in a child process with a lower CPU priority, and the consumer's file moves to
the end of the run; by then the job has usually finished on the core the other tests leave idle.
The consumer asks for the result with `result(name)` and asserts on it exactly as it asserted on
the same command run in place (when nothing started the job, `result` runs it there and then).
A job still running when the session ends is stopped and its cleanup runs.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NICE = 10  # below the foreground tests: their timing-sensitive checks keep the CPU they had


@dataclass(frozen=True)
class Job:
    """`argv(work)` runs in ROOT with a fresh work folder; `consumer` is the test file (nodeid
    prefix) whose tests read the result; `wanted()` says whether the job can run here at all."""

    consumer: str
    argv: Callable[[Path], list[str]]
    wanted: Callable[[], bool] = lambda: True
    cleanup: Callable[[Path], None] = lambda work: None


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    work: Path
    seconds: float


@dataclass
class _Running:
    job: Job
    proc: subprocess.Popen[bytes]
    work: Path
    started: float
    finished: Finished | None = None


def _labbook(work: Path) -> list[str]:
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    out = work / "labbook.pdf"
    return [sys.executable, "site/tools/labbook.py", "--out", str(out), "--chromium", chromium]


def _containers_module(name: str) -> Any:
    folder = str(ROOT / "tests" / "containers")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def _containers_wanted() -> bool:
    """Podman works here, and no kept engine state (MLOPS_CONTAINER_STATE) is asked for."""
    kept = os.environ.get("MLOPS_CONTAINER_STATE")
    return not kept and not _containers_module("podman_engine").skip_reason()


def containers_state(work: Path) -> Path:
    """The engine state folder the background build used (made by this process, so named with
    its pid: other suites' clean-up of dead runs' folders leaves it alone)."""
    return Path((work / "state_path").read_text(encoding="utf-8"))


def _containers(work: Path) -> list[str]:
    state = _containers_module("podman_engine").fresh_state(Path("/var/tmp"))
    (work / "state_path").write_text(str(state), encoding="utf-8")
    script = ROOT / "tests" / "containers" / "prepare_images.py"
    return [sys.executable, str(script), "--state", str(state)]


def _containers_cleanup(work: Path) -> None:
    if (work / "state_path").is_file() and containers_state(work).exists():
        _containers_module("podman_engine").Podman(containers_state(work)).destroy()


JOBS: dict[str, Job] = {
    "figures": Job(
        consumer="tests/course/test_figures.py::test_the_cheap_figures_are_still_what_the_code",
        argv=lambda work: [sys.executable, "tools/course_numbers.py", "--check"],
    ),
    "mypy": Job(
        consumer="tests/test_quality_gates.py::test_gate_is_clean[mypy]",
        argv=lambda work: [str(BIN / "mypy")],
    ),
    "labbook": Job(
        consumer="tests/site/test_labbook.py::test_make_book_prints_lessons",
        argv=_labbook,
        wanted=lambda: Path(os.environ.get("CHROMIUM", "/usr/bin/chromium")).exists(),
    ),
    "container-images": Job(
        consumer="tests/containers/test_containers_images.py::",
        argv=_containers,
        wanted=_containers_wanted,
        cleanup=_containers_cleanup,
    ),
}

_RUNNING: dict[str, _Running] = {}


def _work_root() -> Path:
    root = ROOT / "build" / "background"
    root.mkdir(parents=True, exist_ok=True)
    return root


def start(name: str) -> None:
    """Start job `name` (once per session) in its own process group, at a lower priority."""
    if name in _RUNNING:
        return
    job = JOBS[name]
    work = Path(tempfile.mkdtemp(prefix=f"{name}-{os.getpid()}-", dir=_work_root()))
    out = (work / "stdout").open("wb")
    err = (work / "stderr").open("wb")
    proc = subprocess.Popen(
        ["nice", "-n", str(NICE), *job.argv(work)],
        cwd=ROOT,
        stdout=out,
        stderr=err,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    out.close()
    err.close()
    _RUNNING[name] = _Running(job, proc, work, time.monotonic())


def work_folder(name: str) -> Path | None:
    """The job's work folder when it was started in the background (None otherwise)."""
    running = _RUNNING.get(name)
    return running.work if running else None


def result(name: str, timeout: float = 1800) -> Finished:
    """Wait for job `name` (starting it now if nothing did) and return what it printed."""
    start(name)
    running = _RUNNING[name]
    if running.finished is None:
        try:
            running.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(running)
            raise
        running.finished = Finished(
            returncode=running.proc.returncode,
            stdout=(running.work / "stdout").read_text(encoding="utf-8", errors="replace"),
            stderr=(running.work / "stderr").read_text(encoding="utf-8", errors="replace"),
            work=running.work,
            seconds=time.monotonic() - running.started,
        )
    return running.finished


def _stop(running: _Running) -> None:
    if running.proc.poll() is None:
        os.killpg(running.proc.pid, signal.SIGTERM)
        try:
            running.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(running.proc.pid, signal.SIGKILL)
            running.proc.wait()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the jobs whose consumer is selected; run the consumers' files last."""
    if config.option.collectonly:
        return
    late: set[str] = set()
    for name, job in JOBS.items():
        if any(item.nodeid.startswith(job.consumer) for item in items) and job.wanted():
            start(name)
            late.add(job.consumer.split("::")[0])
    if late:  # whole files move (module fixtures stay set up once), in their own order
        items.sort(key=lambda item: item.nodeid.split("::")[0] in late)


def pytest_sessionfinish() -> None:
    for running in _RUNNING.values():
        _stop(running)
        running.job.cleanup(running.work)
        shutil.rmtree(running.work, ignore_errors=True)
    _RUNNING.clear()
