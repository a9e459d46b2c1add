"""Fixtures of the sandbox tests: the isolating backend (or a visible skip) and process scans."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.sandbox import BubblewrapBackend, Limits, probe, slot_uid

from .sandbox_helpers import SLOT, Run, wait_no_processes

# Slot uids unique to this test session: another session on the same host (a second checkout,
# a CI clone) then shares neither the RLIMIT_NPROC of our uids nor our "nothing left" scans.
os.environ.setdefault("MLOPS_GRADE_SLOT_UID_BASE", str(100_000 + (os.getpid() % 1000) * 1000))


@pytest.fixture(scope="session")
def bwrap(needs_tool: Any) -> BubblewrapBackend:
    """The isolating backend, or a skip (a failure where MLOPS_REQUIRE has sandbox) saying why."""
    status = probe()[0]
    if not status.usable:
        needs_tool("sandbox", f"bubblewrap sandbox unusable: {status.reason}")
    return BubblewrapBackend()


@pytest.fixture
def root_only() -> None:
    """Skip unless root: only root can drop to a separate slot uid."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the slot-uid drop (setpriv) only happens when grading as root")


@pytest.fixture
def sandbox_uid(bwrap: BubblewrapBackend) -> Iterator[int]:
    """The uid sandboxed code runs as; asserts nothing of it is left after the test."""
    uid = slot_uid(SLOT) if os.geteuid() == 0 else os.getuid()
    yield uid
    if uid != os.getuid():
        assert wait_no_processes(uid) == [], "a sandboxed process outlived the test"


@pytest.fixture
def run_py(bwrap: BubblewrapBackend, tmp_path: Path) -> Callable[..., Run]:
    """Run a Python snippet in the sandbox (workdir `tmp_path/work`) and collect its outcome."""
    workdir = tmp_path / "work"
    workdir.mkdir()

    def run(code: str, limits: Limits | None = None, timeout: float = 30, *args: str) -> Run:
        start = time.monotonic()
        argv = [sys.executable, "-c", code, *args]
        with bwrap.spawn(argv, workdir=workdir, limits=limits or Limits(), slot=SLOT) as proc:
            out = proc.stdout.read().decode(errors="replace")
            rc = proc.wait(timeout)
            err = proc.read_stderr().decode(errors="replace")
        return Run(rc, out, err, time.monotonic() - start, proc)

    return run
