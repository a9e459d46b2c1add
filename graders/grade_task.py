"""Grade one submission: a self-contained task (paths + config in, `SubmissionResult` out).

No shared state: the task carries the recorded instructor cells and the configuration, touches
only its own output folder, and never opens the gradebook. The same function can run in this
process, in a process pool, or on a cluster worker.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from graders import cells as C
from graders.config import GradeConfig
from graders.gradebook import LabNotebook
from graders.kernel.client import KernelGone
from graders.kernel.warm import lab_imports
from graders.notebooks import NotebookError, dumps, load_notebook, replace_dir, write_atomic
from graders.pipelines import AUTOGRADE, run_pipeline
from graders.results import GRADED, NotebookResult, Status, SubmissionResult, TestResult
from graders.sandbox.backend import Backend
from graders.sandbox.copyback import return_workdir
from graders.scorer import score_notebook
from graders.scoring import TestSpec
from graders.sessions import GradingSession, this_worker
from graders.steps.base import StepContext


def instructor_sources(spec: LabNotebook) -> list[str]:
    """Code of a notebook's locked instructor cells (their imports run in trusted processes)."""
    return [r.source for r in spec.cells.values() if r.locked and r.cell_type == "code"]


def lab_modules(notebooks: dict[str, LabNotebook]) -> list[str]:
    """Modules the lab's instructor cells import: what a warm sandbox and a forkserver preload."""
    return lab_imports(src for spec in notebooks.values() for src in instructor_sources(spec))


@dataclass(frozen=True)
class GradeTask:
    """Everything needed to grade one student's lab; plain, picklable values."""

    student: str
    lab: str
    submission_dir: str
    output_dir: str
    notebooks: dict[str, LabNotebook]
    config: GradeConfig


@lru_cache(maxsize=2)
def _backend(allow_unsandboxed: bool) -> Backend:
    from graders.sandbox import select_backend

    return select_backend(allow_unsandboxed=allow_unsandboxed)


def unscored(spec: LabNotebook, reason: str) -> list[TestResult]:
    """Every scoring unit of the notebook, failed with ``reason`` (so nothing is a silent 0)."""
    out = []
    for gid in spec.order:
        rec = spec.cells[gid]
        if not rec.test:
            continue
        _, groups = C.split_groups(rec.source)
        for group, share in zip(groups, C.group_points(groups, rec.points), strict=True):
            name = gid if not group.name else f"{gid}::{group.name}"
            out.append(TestResult(name, gid, 0.0, share, False, group.hidden, reason))
    return out


def copy_submission(
    src: Path,
    dest: Path,
    max_bytes: int,
    max_notebook_bytes: int | None = None,
    *,
    exist_ok: bool = False,
) -> dict[str, int]:
    """Copy regular files only: a student's symlink must not make the grader read other files.

    Returns the files left out for their size (relative path → bytes).
    """
    dest.mkdir(parents=True, exist_ok=exist_ok)
    skipped: dict[str, int] = {}
    if not src.is_dir() or src.is_symlink():
        return skipped
    for root, dirs, files in os.walk(src, followlinks=False):
        rel = Path(root).relative_to(src)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            path = Path(root) / name
            info = path.lstat()
            cap = (
                max_notebook_bytes if name.endswith(".ipynb") and max_notebook_bytes else max_bytes
            )
            if stat.S_ISREG(info.st_mode) and info.st_size <= cap:
                shutil.copyfile(path, dest / rel / name, follow_symlinks=False)
            elif stat.S_ISREG(info.st_mode):
                skipped[str(rel / name)] = info.st_size
    return skipped


def _replace_file(path: Path, text: str) -> None:
    """Write where the student's process could have planted a symlink or a directory."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    write_atomic(path, text)  # a fresh file created by us, never following a link


IGNORED_CELL_ERRORS = ("NotImplementedError", "SystemExit", "KeyboardInterrupt")


def code_fault(cell_errors: list[str], tests: list[TestResult]) -> tuple[str, str] | None:
    """A fault of the student's code worth a status (the score stands; the status says why).

    Unfinished stubs (NotImplementedError) and wrong answers are ordinary grading, not faults.
    """
    for kind in ("ImportError", "ModuleNotFoundError"):
        for error in cell_errors:
            if error.startswith(kind + ":"):
                return "import-error", f"a cell failed to import: {error}"
    for error in cell_errors:
        if not error.startswith(IGNORED_CELL_ERRORS):
            return "cell-exception", f"a cell raised {error}"
    for t in tests:
        if "is not defined (is it defined in your notebook?)" in (t.detail or t.message):
            return "undefined-name", f"{t.name}: {t.message}"
    return None


def _status(tampering: list[str]) -> str:
    return str(Status.tampered(tampering))


def grade_notebook(
    name: str,
    spec: LabNotebook,
    work: Path,
    config: GradeConfig,
    session: GradingSession,
    skipped: dict[str, int] | None = None,
) -> NotebookResult:
    """Sanitize, execute and score one notebook found in ``work`` (the session's work folder),
    in a kernel of ``session``."""
    started = time.monotonic()
    path = work / f"{name}.ipynb"
    if path.name in (skipped or {}):
        size = (skipped or {})[path.name] / 1e6
        detail = f"{path.name} is {size:.0f} MB (limit {config.max_notebook_mb:g} MB)"
        return NotebookResult(
            name, "error:notebook-too-large", unscored(spec, detail), reason=detail
        )
    try:
        nb = load_notebook(path, max_mb=config.max_notebook_mb)
    except NotebookError as exc:
        detail = exc.detail
        if exc.reason == "missing-notebook":
            found = sorted(p.name for p in work.glob("*.ipynb"))
            detail += (
                f" (found: {', '.join(found)})" if found else " (no notebook in the submission)"
            )
        return NotebookResult(name, f"error:{exc.reason}", unscored(spec, detail), reason=detail)
    ctx = StepContext(notebook=name, instructor_cells=dict(spec.cells), order=spec.order)
    nb = run_pipeline(AUTOGRADE, nb, ctx)
    tests = {g: TestSpec(g, r.source, r.points) for g, r in spec.cells.items() if r.test}
    sources = instructor_sources(spec)
    result = NotebookResult(name, _status(ctx.tampering), tampering=list(ctx.tampering))
    try:
        with session.kernel(work, config) as client:
            outcome = score_notebook(
                nb,
                client,
                tests,
                sources,
                share_test_bindings=config.share_test_bindings,
                limits=config.scorer_limits(),
                workdir=work,
                slot=session.slot,
            )
    except KernelGone as gone:
        result.status, result.reason = f"error:{gone.reason}", f"could not start: {gone.detail}"
        result.tests = unscored(spec, result.reason)
    else:
        result.tests, result.exec_s = outcome.tests, outcome.exec_s
        result.cell_errors = outcome.cell_errors[:20]
        if outcome.gone is not None:
            result.status, result.reason = f"error:{outcome.gone.reason}", outcome.gone.detail
        elif outcome.limits:  # graded, but a sandbox limit shaped the result: say so
            result.status = f"error:{outcome.limits[0]}"
            result.reason = f"the notebook hit the sandbox's {', '.join(outcome.limits)}"
        elif result.status == GRADED and (fault := code_fault(outcome.cell_errors, outcome.tests)):
            result.status, result.reason = f"error:{fault[0]}", fault[1]
    scored = {t.cell for t in result.tests}
    result.tests += [t for t in unscored(spec, "test cell was not run") if t.cell not in scored]
    _replace_file(path, dumps(nb))
    result.duration_s = round(time.monotonic() - started, 4)
    return result


def crashed(task: GradeTask, exc: BaseException) -> SubmissionResult:
    """The result recorded when grading itself failed: an error, never a silent 0."""
    reason = f"the grader failed: {type(exc).__name__}: {exc}"[:500]
    notebooks = [
        NotebookResult(name, "error:grader-crashed", unscored(spec, reason), reason=reason)
        for name, spec in sorted(task.notebooks.items())
    ]
    return SubmissionResult(task.student, task.lab, notebooks)


def grade_submission(
    task: GradeTask, *, backend: Backend | None = None, session: GradingSession | None = None
) -> SubmissionResult:
    """Grade every notebook of one submission into ``task.output_dir``.

    Runs in ``session`` (default: this worker process's session for ``backend`` and the task's
    configuration). A submission the session cannot start, or during which its sandbox itself
    died (not just the student's process), is graded again by the session's ``fallback`` (cold
    sandboxes), so it gets exactly the outcome a fresh sandbox per notebook gives.
    """
    if session is None:
        backend = backend or _backend(task.config.allow_unsandboxed)
        session = this_worker().session(backend, task.config)
    modules = lab_modules(task.notebooks)
    while True:
        try:
            session.prepare(modules)
        except KernelGone:
            if session.fallback is None:
                raise
            session = session.fallback  # the next submission tries a new sandbox
            continue
        lost = session.lost
        result = _grade_into(task, session)
        if session.lost == lost or session.fallback is None:
            return result
        session = session.fallback


def _grade_into(task: GradeTask, session: GradingSession) -> SubmissionResult:
    out = Path(task.output_dir)
    staged = out.parent / f".{out.name}.work-{os.getpid()}"
    shutil.rmtree(staged, ignore_errors=True)
    result = SubmissionResult(task.student, task.lab, sandbox=session.backend.name)
    try:
        with session.work_folder(staged) as work:
            skipped = copy_submission(
                Path(task.submission_dir),
                work,
                task.config.max_file_mb << 20,
                int(task.config.max_notebook_mb * 1e6),
                exist_ok=work != staged,
            )
            for name, spec in sorted(task.notebooks.items()):
                result.notebooks.append(
                    grade_notebook(name, spec, work, task.config, session, skipped)
                )
            # The executed work folder returns bounded: copied from a warm sandbox, pruned in
            # place after a cold one (graders/sandbox/copyback.py).
            return_workdir(work, staged, task.config, task.notebooks, result)
            replace_dir(staged, out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return result
