"""The background jobs of the run (tests/background.py): started for a selected consumer only,
the consumer's file moved last without reordering the rest, the result read back, and a job
still running at the end of the session stopped and cleaned up."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import background
import pytest


@dataclass
class Item:
    nodeid: str


CLEANED: list[Path] = []  # work folders the sleeper's cleanup was given


@pytest.fixture()
def jobs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, background.Job]:
    """A private job table and running set (the session's real jobs are left alone)."""
    cleaned = CLEANED
    cleaned.clear()
    table = {
        "echo": background.Job(
            consumer="tests/x/test_echo.py::test_reads",
            argv=lambda work: [sys.executable, "-c", "print('made in the background')"],
        ),
        "sleeper": background.Job(
            consumer="tests/x/test_sleep.py::",
            argv=lambda work: [sys.executable, "-c", "import time; time.sleep(60)"],
            cleanup=cleaned.append,
        ),
        "unwanted": background.Job(
            consumer="tests/x/test_never.py::", argv=lambda work: ["false"], wanted=lambda: False
        ),
    }
    monkeypatch.setattr(background, "JOBS", table)
    monkeypatch.setattr(background, "_RUNNING", {})
    monkeypatch.setattr(background, "_work_root", lambda: tmp_path)
    return table


def test_only_selected_consumers_start_and_their_files_run_last(
    jobs: dict[str, background.Job],
) -> None:
    """Is a job started only when its consumer is selected (and wanted here), and do the
    consumer's whole file and only it move to the end, the rest keeping its order?"""
    items = [
        Item("tests/a/test_one.py::t1"),
        Item("tests/x/test_echo.py::test_reads"),
        Item("tests/x/test_echo.py::test_other"),
        Item("tests/b/test_two.py::t2"),
        Item("tests/x/test_never.py::t"),
        Item("tests/c/test_three.py::t3"),
    ]
    config = SimpleNamespace(option=SimpleNamespace(collectonly=False))
    background.pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert set(background._RUNNING) == {"echo"}
    assert [i.nodeid for i in items] == [
        "tests/a/test_one.py::t1",
        "tests/b/test_two.py::t2",
        "tests/x/test_never.py::t",
        "tests/c/test_three.py::t3",
        "tests/x/test_echo.py::test_reads",
        "tests/x/test_echo.py::test_other",
    ]
    done = background.result("echo", timeout=60)
    assert done.returncode == 0 and done.stdout == "made in the background\n"
    assert background.result("echo") is done  # read once, kept


def test_collect_only_starts_nothing(jobs: dict[str, background.Job]) -> None:
    config = SimpleNamespace(option=SimpleNamespace(collectonly=True))
    items = [Item("tests/x/test_echo.py::test_reads")]
    background.pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert background._RUNNING == {}


def test_a_job_nobody_started_runs_when_its_result_is_asked(
    jobs: dict[str, background.Job],
) -> None:
    assert background.work_folder("echo") is None
    assert background.result("echo", timeout=60).stdout == "made in the background\n"


def test_the_session_end_stops_a_running_job_and_cleans_up(
    jobs: dict[str, background.Job],
) -> None:
    """A run stopped early (-x, Ctrl+C) leaves no job running and no work folder behind."""
    background.start("sleeper")
    running = background._RUNNING["sleeper"]
    work = running.work
    started = time.monotonic()
    background.pytest_sessionfinish()
    assert running.proc.poll() is not None and time.monotonic() - started < 30
    assert [work] == CLEANED and not work.exists()
    assert background._RUNNING == {}
