"""Grading sessions: one per grading process, warm or cold behind one interface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders import sessions
from graders.config import GradeConfig
from graders.sessions import ColdSession, WarmSession, WorkerSessions, open_session


class FakeIsolating:
    """A backend that says it isolates; nothing is started until a notebook runs."""

    name = "fake"
    isolating = True
    use_cgroups = False


@pytest.fixture
def fresh_process() -> Iterator[None]:
    """This process's worker as a new grading process has it (none), restored afterwards."""
    before = sessions._worker
    sessions._worker = None
    yield
    if sessions._worker is not None:
        sessions._worker.close()
    sessions._worker = before


def test_the_kind_of_session_follows_the_backend_and_the_config(local_backend: Any) -> None:
    """Is a session warm only when the run asks for it and the backend isolates?"""
    warm = open_session(FakeIsolating(), GradeConfig(), slot=3)
    try:
        assert isinstance(warm, WarmSession) and warm.slot == 3 and warm.sandbox.slot == 3
        assert isinstance(warm.fallback, ColdSession) and warm.fallback.slot == 3
    finally:
        warm.close()
    assert isinstance(open_session(FakeIsolating(), GradeConfig(warm=False)), ColdSession)
    assert isinstance(open_session(local_backend, GradeConfig()), ColdSession)


def test_a_worker_keeps_its_session_until_a_task_asks_for_another(tmp_path: Path) -> None:
    """Is one session reused from one submission to the next, and replaced (the old one closed)
    when the limits or the backend change?"""
    worker = WorkerSessions(slot=2)
    try:
        first = worker.session(FakeIsolating(), GradeConfig())
        assert worker.session(FakeIsolating(), GradeConfig()) is first  # a new backend object
        assert worker.warm_sandbox is first.sandbox  # type: ignore[attr-defined]
        workdir = first.sandbox.workdir  # type: ignore[attr-defined]
        other = worker.session(FakeIsolating(), GradeConfig(memory_mb=512))
        assert other is not first and not workdir.exists()  # the old one was closed
        cold = worker.session(FakeIsolating(), GradeConfig(warm=False))
        assert isinstance(cold, ColdSession) and worker.warm_sandbox is None
    finally:
        worker.close()
    assert worker.current is None


def test_a_process_has_one_worker_and_its_slot(fresh_process: None) -> None:
    """Does the pool initializer's or the Dask plugin's `start_worker` give this process one
    worker (slot 0 before), and does a new slot close the old one's session?"""
    assert sessions.this_worker().slot == 0
    one = sessions.start_worker(1)
    assert sessions.this_worker() is one and sessions.start_worker(1) is one
    session = one.session(FakeIsolating(), GradeConfig())
    workdir = session.sandbox.workdir  # type: ignore[attr-defined]
    two = sessions.start_worker(2)
    assert two is not one and two.slot == 2 and not workdir.exists()
    sessions.close_worker()
    assert two.current is None
