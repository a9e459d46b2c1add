"""scorer: test code runs in a fork of the worker that is confined, unprivileged and bounded."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.client import KernelClient
from graders.kernel.session import open_kernel
from graders.sandbox import Limits
from graders.scorer import ScorerLimits, score_notebook
from graders.scoring import TestSpec

ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not ROOT, reason="dropping to another uid needs root")


@pytest.fixture
def kernel(local_backend: Any, tmp_path: Path) -> Iterator[KernelClient]:
    work = tmp_path / "work"
    work.mkdir()
    with open_kernel(local_backend, workdir=work, limits=Limits(cell_timeout_s=10)) as client:
        yield client


def notebook(*cells: tuple[str, str | None]) -> dict[str, Any]:
    """Code cells; a cell with a grade id is a test cell."""
    out = []
    for source, gid in cells:
        meta = {"nbgrader": {"grade_id": gid, "grade": True, "points": 1}} if gid else {}
        out.append({"cell_type": "code", "source": source, "metadata": meta, "outputs": []})
    return {"cells": out}


def run(kernel: KernelClient, tmp_path: Path, student: str, test: str, **limits: Any) -> Any:
    nb = notebook((student, None), (test, "t"))
    return score_notebook(
        nb,
        kernel,
        {"t": TestSpec("t", test, 1.0)},
        ["import os\nimport resource"],
        share_test_bindings=True,
        limits=ScorerLimits(**limits),
        workdir=tmp_path / "work",
    )


@root_only
def test_test_code_runs_unprivileged_with_limits(kernel: KernelClient, tmp_path: Path) -> None:
    """Does the test code run as a uid that is neither root nor the sandbox's, with caps?"""
    secret = tmp_path / "gradebook.db"
    secret.write_text("instructor only")
    test = (
        "assert os.getuid() >= 100000 and os.geteuid() == os.getuid()\n"
        "assert resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY\n"
        "assert resource.getrlimit(resource.RLIMIT_CPU)[0] == 600\n"
        f"assert not os.path.exists({str(secret)!r})\n"
        "assert os.getcwd().endswith('work') and os.path.exists('answer.txt')\n"
        "try:\n    open('/etc/pwned', 'w')\nexcept OSError:\n    pass\n"
        "else:\n    raise AssertionError('wrote outside its /tmp')\n"
    )
    student = "open('answer.txt', 'w').write('42')"
    outcome = run(kernel, tmp_path, student, test)
    assert [(t.passed, t.detail or t.message) for t in outcome.tests] == [(True, "")]
    assert not Path("/etc/pwned").exists()


def test_a_scorer_that_dies_is_a_grader_limit(kernel: KernelClient, tmp_path: Path) -> None:
    """If test code kills its own process, is the notebook `grader-limit` and the caller fine?"""
    outcome = run(kernel, tmp_path, "x = 1", "os._exit(3)")
    assert outcome.gone is not None and outcome.gone.reason == "grader-limit"
    assert "exit code 3" in outcome.gone.detail


def test_a_scorer_that_overruns_is_stopped(kernel: KernelClient, tmp_path: Path) -> None:
    """Does the watchdog stop a scoring process that never ends (e.g. quadratic hashing)?"""
    started = time.monotonic()
    outcome = run(kernel, tmp_path, "x = 1", "while True:\n    pass", wall_s=2.0)
    assert outcome.gone is not None and outcome.gone.reason == "grader-limit"
    assert time.monotonic() - started < 60  # stopped at 2 s; generous for a loaded machine


def test_memory_is_capped(kernel: KernelClient, tmp_path: Path) -> None:
    """Does test code that allocates past the cap fail instead of taking the machine?"""
    test = "blob = bytearray(3 << 30)"
    outcome = run(kernel, tmp_path, "x = 1", test, memory_mb=256)
    assert outcome.tests and not outcome.tests[0].passed
    assert "MemoryError" in outcome.tests[0].detail + outcome.tests[0].message


def test_nothing_a_test_patches_survives_into_the_next_notebook(
    kernel: KernelClient, tmp_path: Path
) -> None:
    """Does a test that stubs a library leave this (worker) process untouched?"""
    import numpy as np

    solve = np.linalg.solve
    outcome = run(kernel, tmp_path, "x = 1", "import numpy as np\nnp.linalg.solve = None")
    assert outcome.tests[0].passed
    assert np.linalg.solve is solve


def test_no_descriptor_of_the_worker_reaches_the_test_code(
    kernel: KernelClient, tmp_path: Path
) -> None:
    """A file the worker holds open (the gradebook, when grading in the main process): is its
    descriptor closed in the scoring process, so the test code cannot write through it?"""
    with open(tmp_path / "gradebook.db", "w") as held:
        fd = held.fileno()
        test = (
            f"try:\n    os.fstat({fd})\nexcept OSError:\n    pass\n"
            "else:\n    raise AssertionError('the worker descriptor is open here')"
        )
        outcome = run(kernel, tmp_path, "x = 1", test)
    assert outcome.tests[0].passed, outcome.tests[0].detail or outcome.tests[0].message
