"""Run a group's pytest suite in the grading sandbox (never in the instructor's own process)."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from cohort.audit.repo import SKIP_DIRS
from cohort.audit.result import TestRun
from cohort.errors import CohortError

MAX_OUTPUT = 1 << 20
# A pytest plugin that breaks every scikit-learn Pipeline (constant predictions): a suite that
# still passes with it loaded cannot tell a working model from a broken one.
MUTANT_PLUGIN = "_mlops_audit_mutant"
MUTANT = '''"""Audit mutant: every scikit-learn Pipeline predicts a constant."""

import numpy as np


def pytest_configure(config):
    try:
        from sklearn.pipeline import Pipeline
    except ImportError:
        return
    Pipeline.predict = lambda self, X, **kw: np.zeros(len(X))
    Pipeline.predict_proba = lambda self, X, **kw: np.full((len(X), 2), 0.5)
    Pipeline.decision_function = lambda self, X, **kw: np.zeros(len(X))
'''


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
    """Run the repository's tests sandboxed; when they pass, run them again with every
    scikit-learn Pipeline broken (`MUTANT`), stopping at the first failure: `mutant_failed` is 1
    when the suite noticed, 0 when every test still passed."""
    run = _run(repo_root=repo_root, allow_unsandboxed=allow_unsandboxed, wall_time_s=wall_time_s)
    if not run.ok:
        return run
    mutant = _run(
        repo_root=repo_root, allow_unsandboxed=allow_unsandboxed, wall_time_s=wall_time_s,
        mutant=True,
    )  # fmt: skip
    noticed = mutant.failed or int(mutant.returncode != 0)  # a crash under the mutant notices it
    return replace(run, mutant_failed=noticed)


def _run(
    *, repo_root: Path, allow_unsandboxed: bool, wall_time_s: float, mutant: bool = False
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
        if mutant:
            # The copy's root is on PYTHONPATH, so pytest finds the plugin there.
            (work / f"{MUTANT_PLUGIN}.py").write_text(MUTANT, encoding="utf-8")
            argv += ["-p", MUTANT_PLUGIN, "-x"]  # one failing test is enough to know
        limits = Limits(wall_time_s=wall_time_s, memory_mb=4096, max_file_mb=200)
        with backend.spawn(argv, workdir=work, limits=limits, env=env) as proc:
            output = proc.stdout.read(MAX_OUTPUT).decode("utf-8", errors="replace")
            code = proc.wait(wall_time_s)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    passed, failed = _counts(output)
    tail = "\n".join(output.strip().splitlines()[-15:])
    return TestRun(passed=passed, failed=failed, returncode=code, backend=backend.name, tail=tail)
