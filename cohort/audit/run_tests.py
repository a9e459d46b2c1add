"""Run a group's pytest suite in the grading sandbox (never in the instructor's own process)."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from cohort.audit.repo import SKIP_DIRS
from cohort.audit.result import TestRun
from cohort.errors import CohortError

MAX_OUTPUT = 1 << 20


def _counts(output: str) -> tuple[int, int]:
    """Passed and failed (failures + errors) from pytest's closing line."""
    tail = output.strip().splitlines()[-1] if output.strip() else ""
    found = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?)", tail)}
    return found.get("passed", 0), found.get("failed", 0) + found.get("error", 0) + found.get(
        "errors", 0
    )


def run_tests_sandboxed(
    *, repo_root: Path, allow_unsandboxed: bool = False, wall_time_s: float = 600
) -> TestRun:
    """Copy the repository into a scratch folder and run `python -m pytest -q` there, sandboxed.

    The sandbox shows the course's Python environment read-only, so the group's code runs against
    the packages installed for the course; the copy is the only writable path; no network.
    """
    try:
        from graders.sandbox import Limits, SandboxUnavailable, select_backend
    except ImportError as exc:
        raise CohortError(
            "--run-tests needs the grading sandbox (graders.sandbox), which is not installed"
        ) from exc
    try:
        backend = select_backend(allow_unsandboxed=allow_unsandboxed)
    except SandboxUnavailable as exc:
        raise CohortError(str(exc)) from exc
    scratch = Path(tempfile.mkdtemp(prefix="mlops-audit-"))
    work = scratch / "repo"
    try:
        shutil.copytree(
            repo_root, work, ignore=shutil.ignore_patterns(*SKIP_DIRS, "*.egg-info"), symlinks=True
        )
        pythonpath = ":".join(str(p) for p in (work / "src", work) if p.is_dir())
        env = {
            "PYTHONPATH": pythonpath,
            "HOME": str(work),
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no"]
        limits = Limits(wall_time_s=wall_time_s, memory_mb=4096, max_file_mb=200)
        with backend.spawn(argv, workdir=work, limits=limits, env=env) as proc:
            output = proc.stdout.read(MAX_OUTPUT).decode("utf-8", errors="replace")
            code = proc.wait(wall_time_s)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    passed, failed = _counts(output)
    tail = "\n".join(output.strip().splitlines()[-15:])
    return TestRun(passed=passed, failed=failed, returncode=code, backend=backend.name, tail=tail)
