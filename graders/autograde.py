"""autograde: grade a whole cohort in parallel; one writer (this process) fills the gradebook.

Each submission is a `GradeTask` run by `grade_submission` in a process pool (or in this process
for one worker), or on a Dask cluster's workers with ``scheduler`` (`graders.cluster`); results
come back here and are written one transaction per submission, so a crash or ``kill -9`` loses
nothing already graded. Re-running skips graded submissions unless ``force``; regrading replaces
every row of that submission.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

from graders.config import GradeConfig
from graders.course import Course
from graders.errors import GraderError
from graders.grade_task import GradeTask, crashed, grade_submission, lab_modules
from graders.gradebook import Gradebook
from graders.results import SubmissionResult
from graders.sessions import start_worker


@dataclass
class AutogradeResult:
    """What a cohort run did."""

    lab: str
    backend: str
    isolating: bool
    workers: int
    results: list[SubmissionResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cluster: dict[str, Any] | None = None  # on a Dask cluster: scheduler, dashboard, workers
    per_worker: dict[str, int] = field(default_factory=dict)  # results per cluster worker

    def by_status(self) -> dict[str, list[str]]:
        """Students per status (``graded``, ``error:...``, ``tampered:...``)."""
        out: dict[str, list[str]] = {}
        for r in self.results:
            out.setdefault(r.status, []).append(r.student)
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "backend": self.backend,
            "isolating": self.isolating,
            "workers": self.workers,
            "wall_s": round(self.wall_s, 3),
            "skipped": self.skipped,
            "by_status": self.by_status(),
            "results": [r.to_dict() for r in self.results],
            "cluster": self.cluster,
            "per_worker": self.per_worker,
        }


def _init_worker(counter: Any) -> None:
    """A pool worker's set-up: the next free uid slot of this pool, and its grading session."""
    with counter.get_lock():
        counter.value += 1
        start_worker(counter.value)


def _preload(modules: list[str]) -> None:
    """Import the lab's instructor modules once here, as a pool worker has them from the
    forkserver: each notebook's scorer is a fork of this process and would import them again."""
    import importlib

    for module in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(module)


def _select_backend(allow_unsandboxed: bool) -> Any:
    from graders.sandbox import SandboxUnavailable, select_backend

    try:
        return select_backend(allow_unsandboxed=allow_unsandboxed)
    except SandboxUnavailable as exc:
        raise GraderError(str(exc)) from None


def autograde(
    *,
    course_dir: Path,
    lab: str,
    students: list[str] | None = None,
    workers: int | None = None,
    force: bool = False,
    config: GradeConfig | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SubmissionResult], None] | None = None,
    scheduler: str | None = None,
    worker_course_dir: str | None = None,
    on_cluster: Callable[[Any], None] | None = None,
    stall_timeout_s: float | None = None,
) -> AutogradeResult:
    """Grade every submission of ``lab`` under ``course_dir/submitted``.

    Args:
        course_dir: Course root.
        lab: Lab name (must have been released).
        students: Only these students (default: every folder under ``submitted/``).
        workers: Parallel worker processes (default: CPU count).
        force: Regrade submissions that already have a result.
        config: Limits and sandbox policy (default: settings).
        on_start: Called with the number of tasks before grading starts.
        on_result: Called after each submission is written to the gradebook.
        scheduler: ``tcp://HOST:PORT`` of a Dask scheduler: grade on its workers instead of a
            local pool (default: the ``MLOPS_GRADE_SCHEDULER`` setting, else the pool).
        worker_course_dir: Where the workers see ``course_dir`` (default: the same path).
        on_cluster: Called with the `graders.cluster.ClusterInfo` once the workers are set up.
        stall_timeout_s: On a cluster, stop (`graders.cluster.ClusterStalled`) after this many
            seconds in which no worker could take a task (default: the ``MLOPS_GRADE_STALL_
            TIMEOUT_S`` setting, 300 s); what was graded is recorded, a re-run resumes.
    """
    from graders.config import get_settings

    course = Course(Path(course_dir))
    config = config or GradeConfig.from_settings()
    workers = max(1, workers or os.cpu_count() or 1)
    scheduler = scheduler or get_settings().scheduler
    with contextlib.ExitStack() as stack:
        gb = stack.enter_context(Gradebook.open_existing(course.gradebook))
        notebooks = gb.lab_notebooks(lab)
        everyone = course.students()
        chosen = [s for s in everyone if students is None or s in students]
        unknown = sorted(set(students or []) - set(everyone))
        if unknown:
            raise GraderError(f"no submission folder for: {', '.join(unknown)}")
        engine = None
        if scheduler:
            from graders.cluster import DaskEngine

            engine = stack.enter_context(
                DaskEngine.connect(
                    scheduler,
                    course_dir=course.root,
                    worker_course_dir=worker_course_dir or get_settings().worker_course_dir,
                    allow_unsandboxed=config.allow_unsandboxed,
                    modules=lab_modules(notebooks),
                    stall_timeout_s=stall_timeout_s or get_settings().stall_timeout_s,
                )
            )
            backend: Any = engine
            workers = engine.workers
            if on_cluster:
                on_cluster(engine.info)
        else:
            backend = _select_backend(config.allow_unsandboxed)
        done = set() if force else gb.finished(lab)
        todo = [s for s in chosen if s not in done]
        name = engine.backend if engine else backend.name
        summary = AutogradeResult(lab, name, backend.isolating, workers)
        summary.skipped = [s for s in chosen if s in done]
        run_id = gb.start_run(
            lab=lab,
            backend=name,
            isolating=backend.isolating,
            allow_unsandboxed=config.allow_unsandboxed,
            workers=workers,
            tasks=len(todo),
        )
        tasks = [
            GradeTask(
                student=s,
                lab=lab,
                submission_dir=str(course.submitted(s, lab)),
                output_dir=str(course.autograded(s, lab)),
                notebooks=notebooks,
                config=config,
            )
            for s in todo
        ]
        if on_start:
            on_start(len(tasks))
        started = time.monotonic()

        def record(result: SubmissionResult) -> None:
            gb.save_result(result, run_id=run_id)
            summary.results.append(result)
            if on_result:
                on_result(result)

        if engine is not None:
            summary.cluster = engine.info.to_dict()
            engine.run(tasks, record)
            summary.per_worker = dict(sorted(engine.per_worker.items()))
        elif workers == 1 or len(tasks) <= 1:
            start_worker(1)
            _preload(lab_modules(notebooks))  # what the pool's forkserver preloads
            for task in tasks:
                try:
                    result = grade_submission(task, backend=backend)
                except Exception as exc:  # one broken submission must not stop the cohort
                    result = crashed(task, exc)
                record(result)
        else:
            _run_pool(tasks, workers, record)
        summary.wall_s = time.monotonic() - started
    return summary


# A worker process that dies (OOM killer, a crash in a C extension of the trusted side) breaks
# the whole pool: every task still in it fails with BrokenProcessPool, whichever task killed it.
# They are graded again in a new pool; after a second break each runs alone in its own pool, so
# only a task that kills its own worker is recorded as grader-crashed.


def _run_pool(
    tasks: list[GradeTask],
    workers: int,
    record: Callable[[SubmissionResult], None],
    grade: Callable[[GradeTask], SubmissionResult] = grade_submission,
) -> None:
    todo, breaks = list(tasks), 0
    while todo:
        if breaks < 2:
            todo = _one_pool(todo, workers, record, grade)
        else:  # alone: a break now names its culprit
            todo = [t for t in todo if _one_pool([t], 1, record, grade, last_try=True)]
        breaks += 1


@contextlib.contextmanager
def _safe_path() -> Iterator[None]:
    """Start helper interpreters without the working directory on their ``sys.path``.

    The forkserver and its resource tracker run ``python -c ...``, which puts the caller's
    working directory first on ``sys.path``: started from a folder that holds another copy of
    ``graders/`` (or a ``numpy/``), they would import that copy, as root. ``PYTHONSAFEPATH``
    (Python 3.11+) keeps it off; only these start-ups see it.
    """
    before = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = before


def _one_pool(
    tasks: list[GradeTask],
    workers: int,
    record: Callable[[SubmissionResult], None],
    grade: Callable[[GradeTask], SubmissionResult],
    last_try: bool = False,
) -> list[GradeTask]:
    """Grade ``tasks`` in one process pool; return those lost to a broken pool."""
    ctx = mp.get_context("forkserver")
    # Workers fork from the forkserver: what it imported once, no worker imports again (the
    # engine, and the lab's instructor imports that every test cell's trusted side needs).
    ctx.set_forkserver_preload(["graders.grade_task", *lab_modules(tasks[0].notebooks)])
    with _safe_path():  # the pool below reuses this forkserver
        forkserver.ensure_running()
    counter = ctx.Value("i", 0)
    broken: list[GradeTask] = []
    with ProcessPoolExecutor(
        min(workers, len(tasks)), mp_context=ctx, initializer=_init_worker, initargs=(counter,)
    ) as pool:
        futures: dict[Future[SubmissionResult], GradeTask] = {
            pool.submit(grade, t): t for t in tasks
        }
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    if not last_try:
                        broken.append(futures[fut])
                        continue
                    result = crashed(futures[fut], exc)
                except Exception as exc:  # an error of the grading code for this task
                    result = crashed(futures[fut], exc)
                record(result)
    return broken


def grade_folder(
    *,
    course_dir: Path,
    lab: str,
    folder: Path,
    student: str = "student",
    output_dir: Path | None = None,
    config: GradeConfig | None = None,
    backend: Any = None,
) -> SubmissionResult:
    """Grade one submission folder against a released lab, without touching the gradebook.

    For tests and suites of crafted submissions: same task, same sandbox, same scoring as
    `autograde`; the executed notebooks go to ``output_dir`` (default: ``<folder>.autograded``).
    """
    course = Course(Path(course_dir))
    config = config or GradeConfig.from_settings()
    with Gradebook.open_existing(course.gradebook) as gb:
        notebooks = gb.lab_notebooks(lab)
    folder = Path(folder)
    task = GradeTask(
        student=student,
        lab=lab,
        submission_dir=str(folder),
        output_dir=str(output_dir or folder.with_name(folder.name + ".autograded")),
        notebooks=notebooks,
        config=config,
    )
    return grade_submission(task, backend=backend or _select_backend(config.allow_unsandboxed))
