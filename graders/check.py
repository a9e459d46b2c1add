"""check: a learner runs their notebook with the public tests, in the same sandbox and scoring.

Says plainly how many public tests pass and how many hidden tests will run at grading, and
flags test or locked cells that were edited or deleted (they are restored at grading).
"""

from __future__ import annotations

import ast
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders import cells as C
from graders.config import GradeConfig
from graders.errors import GraderError
from graders.grade_task import copy_submission
from graders.kernel.client import KernelGone
from graders.kernel.session import open_kernel
from graders.notebooks import NotebookError, load_notebook
from graders.pipelines import CHECK, run_pipeline
from graders.results import TestResult
from graders.runner import run_notebook
from graders.sandbox.backend import Backend
from graders.scoring import TestSpec
from graders.steps.base import StepContext


@dataclass
class CheckResult:
    """What a learner's check found."""

    notebook: str
    tests: list[TestResult] = field(default_factory=list)
    hidden_tests: int = 0
    tampering: list[str] = field(default_factory=list)
    error: str = ""
    sandbox: str = ""
    duration_s: float = 0.0

    @property
    def passed(self) -> int:
        return sum(1 for t in self.tests if t.passed)

    def summary(self) -> str:
        """One honest line, e.g. "5/7 public tests pass; 4 hidden tests will run at grading"."""
        hidden = {0: "no hidden tests", 1: "1 hidden test will run at grading"}.get(
            self.hidden_tests, f"{self.hidden_tests} hidden tests will run at grading"
        )
        line = f"{self.passed}/{len(self.tests)} public tests pass; {hidden}"
        if self.error:
            line += f" (stopped early: {self.error})"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "summary": self.summary(),
            "passed": self.passed,
            "public_tests": len(self.tests),
            "hidden_tests": self.hidden_tests,
            "tampering": self.tampering,
            "error": self.error,
            "sandbox": self.sandbox,
            "tests": [t.to_dict() for t in self.tests],
        }


def _has_code(text: str) -> bool:
    try:
        return bool(ast.parse(text).body)
    except SyntaxError:
        return True


def check(
    *, notebook: Path, config: GradeConfig | None = None, backend: Backend | None = None
) -> CheckResult:
    """Run ``notebook`` (in a copy of its folder) with its public tests only."""
    started = time.monotonic()
    config = config or GradeConfig.from_settings()
    if not Path(notebook).is_file():  # a learner's own path: say so, not "was not submitted"
        raise GraderError(f"no notebook at {notebook}")
    try:
        nb = load_notebook(Path(notebook), max_mb=config.max_notebook_mb)
    except NotebookError as exc:
        raise GraderError(exc.detail) from None
    ctx = StepContext(notebook=Path(notebook).stem)
    nb = run_pipeline(CHECK, nb, ctx)
    tests: dict[str, TestSpec] = {}
    hidden = 0
    for cell in nb["cells"]:
        gid = C.grade_id(cell)
        if C.is_test(cell) and gid and gid not in tests:
            hidden += int(cell["metadata"].get(C.OUR_KEY, {}).get("hidden_tests", 0))
            if _has_code(C.source(cell)):  # a cell whose tests are all hidden is not public
                tests[gid] = TestSpec(gid, C.source(cell), C.points(cell))
    released_total = nb.get("metadata", {}).get(C.OUR_KEY, {}).get("hidden_tests")
    if isinstance(released_total, int) and released_total > hidden:
        hidden = released_total  # a deleted test cell still has its hidden tests run at grading
    sources = [C.source(c) for c in nb["cells"] if C.is_locked(c) and c["cell_type"] == "code"]
    if backend is None:
        from graders.sandbox import select_backend

        backend = select_backend(allow_unsandboxed=True)  # the learner's own code, own machine
    result = CheckResult(Path(notebook).name, hidden_tests=hidden, tampering=ctx.tampering)
    result.sandbox = backend.name
    work = Path(tempfile.mkdtemp(prefix="mlops-check-"))
    try:
        shutil.rmtree(work)
        copy_submission(Path(notebook).resolve().parent, work, config.max_file_mb << 20)
        with open_kernel(
            backend, workdir=work, limits=config.limits(), shell=config.shell
        ) as client:
            outcome = run_notebook(
                nb, client, tests, sources, share_test_bindings=config.share_test_bindings
            )
        result.tests = outcome.tests
        if outcome.gone is not None:
            result.error = outcome.gone.detail
    except KernelGone as gone:
        result.error = gone.detail
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.duration_s = round(time.monotonic() - started, 3)
    return result
