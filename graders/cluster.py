"""Autograde on a Dask cluster: the same `GradeTask`s as the process pool, one writer (the client).

``autograde(..., scheduler="tcp://HOST:8786")`` connects here instead of starting a pool.

* **Each worker process** is started with ``--resources mlops-grade=1`` and gets a
  `GraderPlugin`: it claims a uid slot on its machine (one per grading process, as the pool's
  workers have), runs the sandbox's capability probe *there*, checks that it sees the course
  folder and can import the lab's instructor modules, and withdraws the resource when it cannot
  grade (no sandbox, unless the run allows unsandboxed grading). Every task asks for one unit of
  it, so a worker that cannot grade never receives a submission, and a worker process grades one
  submission at a time whatever its thread count (its grading session, `graders.sessions`,
  belongs to the process). The resource is declared at start rather than added by the plugin:
  Dask looks for a worker for waiting tasks when one registers, not when its resources grow.
* **Data**: the lab travels as task data (each task carries the instructor cells recorded in the
  gradebook, a few kB); submissions and the ``autograded/`` output go through the course folder,
  which every worker must see on a shared file system — at the same path as here, or at
  ``worker_course_dir``. Outputs of up to 100 MB per submission then never pass through the
  scheduler, and the gradebook never leaves this machine.
* **One writer**: results come back with `as_completed` and the caller writes each one in its own
  transaction as it arrives, so a stopped run resumes where it stopped.
* **Faults**: a worker that dies mid-task has its task rescheduled by Dask on another worker; a
  task whose workers all die (``distributed.scheduler.allowed-failures`` + 1 of them), and then
  again when it runs alone (see `DaskEngine.run`), ends as ``error:grader-crashed`` for that
  submission only. An exception of the grading code gets one more try, then is recorded as
  ``error:grader-crashed`` too. The scheduler going away stops the run with `SchedulerGone`;
  every result received before is already in the gradebook. A run in which no worker can take a
  task for ``stall_timeout_s`` (none connected, every one refusing or gone;
  ``MLOPS_GRADE_STALL_TIMEOUT_S``, default 300 s) stops with `ClusterStalled` the same way,
  instead of waiting for workers forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import importlib
import logging
import os
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from graders import defaults as D
from graders.errors import GraderError
from graders.grade_task import GradeTask, crashed, grade_submission
from graders.results import SubmissionResult
from graders.sessions import close_worker, start_worker

RESOURCE = "mlops-grade"  # one unit per worker process that may grade
NO_RESOURCE = (
    f"started without --resources {RESOURCE}=1 (every grading worker needs it: it keeps tasks "
    "away from workers that cannot grade, and one submission at a time per worker process)"
)
PLUGIN = "mlops-grader"
SLOT_LOCK_DIR = "/tmp/mlops-uid-locks"  # graders/sandbox/uids.py keeps its uid locks there too
MAX_SLOT = 998  # slot 999 is the capability probe's


class SchedulerGone(GraderError):
    """The scheduler stopped answering during a run."""


class ClusterStalled(GraderError):
    """No worker could take grading tasks for the run's stall timeout."""


@dataclass(frozen=True)
class WorkerReport:
    """What a worker process found when the run's plugin set it up."""

    address: str
    host: str
    pid: int
    slot: int
    backend: str
    isolating: bool
    accepts: bool
    reason: str


@dataclass
class ClusterInfo:
    """The cluster a run grades on, as found when it connected."""

    scheduler: str
    dashboard: str
    workers: list[WorkerReport] = field(default_factory=list)

    @property
    def accepting(self) -> list[WorkerReport]:
        return [w for w in self.workers if w.accepts]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheduler": self.scheduler,
            "dashboard": self.dashboard,
            "workers": [asdict(w) for w in self.workers],
        }


# -- the worker side -----------------------------------------------------------------------------

_report: WorkerReport | None = None
_advertised: float | None = None  # the RESOURCE this worker process registered with
_slot: tuple[int, int | None] | None = None  # this process's slot and the lock holding it


def claim_slot(lock_dir: str = SLOT_LOCK_DIR) -> tuple[int, int | None]:
    """The lowest slot no other grading process on this machine holds, and the lock holding it."""
    with contextlib.suppress(OSError):
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
    for slot in range(1, MAX_SLOT + 1):
        try:
            fd = os.open(f"{lock_dir}/mlops-grade-slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return 1, None  # no lock files here: slot 1 (uid claims still keep uids apart)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return slot, fd
    raise GraderError(f"every grading slot 1-{MAX_SLOT} of this machine is taken")


def assess_worker(
    address: str, *, allow_unsandboxed: bool, course_dir: str, modules: list[str]
) -> WorkerReport:
    """Claim a slot, probe the sandbox, and decide whether this process may grade (and why not)."""
    global _slot
    from graders.sandbox import probe

    if _slot is None:  # held for the life of the process; a new run keeps it
        _slot = claim_slot()
    slot = _slot[0]
    start_worker(slot)  # this process's grading session, as a pool worker's initializer does
    best = probe()[0]
    if best.usable:
        backend, isolating, accepts, reason = best.name, True, True, best.reason
    elif allow_unsandboxed:
        backend, isolating, accepts = "local", False, True
        reason = f"UNSANDBOXED (--allow-unsandboxed): {best.reason}"
    else:
        backend, isolating, accepts = "none", False, False
        reason = f"refuses tasks: no isolating sandbox ({best.reason})"
    if accepts and not (Path(course_dir) / "submitted").is_dir():
        accepts = False
        reason = (
            f"refuses tasks: cannot see the course folder at {course_dir} (mount it there on "
            "every worker, or name where workers see it: MLOPS_GRADE_WORKER_COURSE_DIR)"
        )
    if accepts:
        for module in modules:  # the trusted side runs these imports for every test cell
            try:
                importlib.import_module(module)
            except Exception as exc:
                accepts = False
                reason = f"refuses tasks: cannot import {module} ({type(exc).__name__}: {exc})"
                break
    return WorkerReport(
        address, socket.gethostname(), os.getpid(), slot, backend, isolating, accepts, reason
    )


def _plugin_base() -> type:
    try:
        from distributed import WorkerPlugin
    except ImportError:  # the module stays importable without the extra
        return object
    return WorkerPlugin


class GraderPlugin(_plugin_base()):  # type: ignore[misc]
    """Sets each worker process up for one run: slot, probe, resource (see the module doc)."""

    name = PLUGIN

    def __init__(self, *, allow_unsandboxed: bool, course_dir: str, modules: list[str]) -> None:
        self.allow_unsandboxed = allow_unsandboxed
        self.course_dir = course_dir
        self.modules = list(modules)

    async def setup(self, worker: Any) -> None:
        global _report, _advertised
        if _advertised is None:  # what the worker was started with (--resources)
            _advertised = worker.state.total_resources.get(RESOURCE, 0)
        # The probe starts a sandbox and the imports take seconds: off the worker's event loop.
        report = await asyncio.to_thread(
            assess_worker,
            worker.address,
            allow_unsandboxed=self.allow_unsandboxed,
            course_dir=self.course_dir,
            modules=self.modules,
        )
        if not _advertised:
            report = replace(report, accepts=False, reason=f"refuses tasks: {NO_RESOURCE}")
        _report = report
        # Only ever lowered from what the worker registered with (or put back to it): a resource
        # raised after registration would not wake the tasks already waiting for one.
        want = 1 if report.accepts else 0
        if worker.state.total_resources.get(RESOURCE, 0) != want and _advertised:
            await worker.set_resources(**{RESOURCE: want})

    async def teardown(self, worker: Any) -> None:
        global _report
        _report = None
        await asyncio.to_thread(close_worker)  # the next run may grade another lab


def worker_report() -> WorkerReport | None:
    """This worker's report (run on every worker by the client after registering the plugin)."""
    return _report


def grade_on_worker(
    task: GradeTask, grade: Callable[[GradeTask], SubmissionResult] = grade_submission
) -> tuple[SubmissionResult, str]:
    """The Dask task: grade one submission here; return the result and this worker's address."""
    from distributed import get_worker

    address = get_worker().address
    if _report is None or not _report.accepts:  # resources keep tasks away; this is a backstop
        from distributed import Reschedule

        raise Reschedule()  # to a worker that offers the resource
    return grade(task), address


# -- the client side -----------------------------------------------------------------------------


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise GraderError(
            "--scheduler needs Dask distributed: pip install 'mlops-course[cluster]'"
        ) from None
    return distributed


class DaskEngine:
    """A connection to a Dask scheduler that grades `GradeTask`s on its workers."""

    def __init__(
        self,
        client: Any,
        info: ClusterInfo,
        course_dir: Path,
        worker_dir: str,
        stall_timeout_s: float = D.STALL_TIMEOUT_S,
    ) -> None:
        self.client = client
        self.info = info
        self.course_dir = course_dir
        self.worker_dir = worker_dir
        self.stall_timeout_s = stall_timeout_s
        self.per_worker: Counter[str] = Counter()
        self.recorded = 0  # results of the current `run` handed to its ``record``
        self._slots_at = float("-inf")
        self._slots_n = len(info.accepting)
        self._connected = len(info.workers)

    @property
    def backend(self) -> str:
        names = sorted({w.backend for w in self.info.accepting})
        return "dask:" + "+".join(names)

    @property
    def isolating(self) -> bool:
        return all(w.isolating for w in self.info.accepting)

    @property
    def workers(self) -> int:
        return len(self.info.accepting)

    @classmethod
    @contextlib.contextmanager
    def connect(
        cls,
        scheduler: str,
        *,
        course_dir: Path,
        worker_course_dir: str | None = None,
        allow_unsandboxed: bool = False,
        modules: list[str] | None = None,
        timeout_s: float | None = None,
        stall_timeout_s: float = D.STALL_TIMEOUT_S,
    ) -> Iterator[DaskEngine]:
        """Connect, set every worker up for this run, and refuse when no worker can grade.

        ``timeout_s`` (default: Dask's ``distributed.comm.timeouts.connect``, 30 s) bounds the
        connection and the wait for a first worker; ``stall_timeout_s`` how long `run` waits
        while no worker can take its tasks.
        """
        distributed = _distributed()
        if timeout_s is None:
            import dask
            from dask.utils import parse_timedelta

            timeout_s = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")
        # Dask logs every failed reconnection with a traceback; the run says it in one line.
        stack = contextlib.ExitStack()
        stack.enter_context(_quiet("distributed"))
        try:
            client = distributed.Client(
                scheduler, timeout=timeout_s, set_as_default=False, name="mlops-grade"
            )
        except (OSError, TimeoutError, ValueError) as exc:
            stack.close()
            raise GraderError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        worker_dir = worker_course_dir or str(course_dir)
        try:
            try:
                client.wait_for_workers(1, timeout=timeout_s)
            except TimeoutError:
                raise GraderError(
                    f"no worker joined the Dask scheduler at {scheduler} within {timeout_s:g} s"
                ) from None
            plugin = GraderPlugin(
                allow_unsandboxed=allow_unsandboxed, course_dir=worker_dir, modules=modules or []
            )
            client.register_plugin(plugin, name=PLUGIN)
            reports = client.run(worker_report)
            info = ClusterInfo(
                scheduler=scheduler,
                dashboard=_dashboard(client),
                workers=[
                    r or WorkerReport(a, "?", 0, 0, "none", False, False, "plugin did not set up")
                    for a, r in sorted(reports.items())
                ],
            )
            if not info.accepting:
                why = "; ".join(f"{w.address}: {w.reason}" for w in info.workers)
                raise GraderError(f"no worker of {scheduler} can grade: {why}")
            yield cls(client, info, Path(course_dir), worker_dir, stall_timeout_s)
        finally:
            _close(client)
            stack.close()

    def worker_task(self, task: GradeTask) -> GradeTask:
        """The task with its paths as the workers see the course folder."""
        root = str(self.course_dir)

        def move(path: str) -> str:
            return self.worker_dir + path[len(root) :] if path.startswith(root) else path

        return replace(
            task, submission_dir=move(task.submission_dir), output_dir=move(task.output_dir)
        )

    def run(
        self,
        tasks: list[GradeTask],
        record: Callable[[SubmissionResult], None],
        grade: Callable[[GradeTask], SubmissionResult] = grade_submission,
    ) -> None:
        """Grade ``tasks`` on the cluster; ``record`` each result here, as it arrives.

        Two tasks per grading worker are out at a time (one running, the next already there, so
        a worker never waits for this client): Dask counts a worker's death against every task
        assigned to it, so a cohort handed out at once would put thousands of innocent tasks
        next to each dying worker. A task that every worker running it died on may have been
        next to the culprit: like the pool's ladder, it runs once more *alone* (nothing else
        out), and only a death then makes it ``error:grader-crashed``.
        """
        distributed = _distributed()
        token = uuid.uuid4().hex[:8]
        waiting, suspects = deque(tasks), deque[GradeTask]()
        out: dict[str, tuple[Any, GradeTask, int]] = {}
        done = distributed.as_completed([], loop=self.client.loop)

        def send(task: GradeTask, attempt: int) -> None:
            fut = self.client.submit(
                grade_on_worker, self.worker_task(task), grade, pure=False, retries=1,
                key=f"grade-{task.lab}-{task.student}-{token}-{attempt}", resources={RESOURCE: 1},
            )  # fmt: skip
            out[fut.key] = (fut, task, attempt)
            done.add(fut)

        def top_up() -> None:
            if suspects or any(attempt for _, _, attempt in out.values()):
                if suspects and not out:  # the others are done: the next suspect runs alone
                    send(suspects.popleft(), 1)
                return
            while waiting and len(out) < 2 * self._slots():
                send(waiting.popleft(), 0)

        self.recorded = 0
        try:
            top_up()
            for fut in self._arrivals(done, len(tasks)):
                _, task, attempt = out.pop(fut.key)
                value, error = self._fetch(fut, self.recorded, len(tasks))
                if attempt == 0 and isinstance(error, distributed.KilledWorker):
                    suspects.append(task)
                    top_up()
                    continue
                top_up()
                if error is None:
                    result, address = value
                    self.per_worker[address] += 1
                elif isinstance(error, distributed.KilledWorker):
                    why = "every Dask worker that ran this submission died while grading it"
                    result = crashed(task, RuntimeError(why))
                else:
                    result = crashed(task, error)
                record(result)
                self.recorded += 1
                fut.release()  # recorded: the result need not outlive its worker
        finally:
            # Interrupted (Ctrl-C, the scheduler gone): nothing more is graded for this run.
            if out:
                with contextlib.suppress(Exception):
                    self.client.cancel([f for f, _, _ in out.values()], force=True)

    def _arrivals(self, done: Any, total: int) -> Iterator[Any]:
        """The futures of ``done`` as they finish (tasks added meanwhile included).

        The stall watchdog: while no worker offers the grading resource (none connected, every
        one refusing or gone), tasks wait in Dask for one to come; after ``stall_timeout_s`` of
        that with no result, `ClusterStalled` ends the run (what arrived is recorded already).
        """
        stalled_since: float | None = None
        while not done.is_empty():
            if done.has_ready():
                stalled_since = None
                yield from done.next_batch(block=False)
                continue
            with done.thread_condition:  # notified on each arrival (as Dask's own iterator waits)
                done.thread_condition.wait(timeout=0.1)
            if done.has_ready() or self._grading_workers():
                stalled_since = None
                continue
            now = time.monotonic()
            stalled_since = stalled_since or now
            if now - stalled_since >= self.stall_timeout_s:
                raise self._stalled(self.recorded, total)

    def _grading_workers(self) -> int:
        """Worker processes that offer the grading resource now (refreshed every 2 s)."""
        now = time.monotonic()
        if now - self._slots_at > 2:
            with contextlib.suppress(Exception):
                workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
                self._slots_n = sum(1 for w in workers if w.get("resources", {}).get(RESOURCE))
                self._connected = len(workers)
            self._slots_at = now
        return self._slots_n

    def _slots(self) -> int:
        """How many tasks may run at once: the grading workers, at least one."""
        return max(1, self._grading_workers())

    def _stalled(self, recorded: int, total: int) -> ClusterStalled:
        if self._connected:
            why = (
                f"{self._connected} worker(s) connected, none offering the {RESOURCE} resource: "
                "each refused or was started without it (see its log)"
            )
        else:
            why = "no worker connected"
        return ClusterStalled(
            f"no Dask worker of {self.info.scheduler} could take grading tasks for "
            f"{self.stall_timeout_s:g} s ({why}); {recorded} of {total} results are in the "
            f"gradebook. Start workers (dask worker {self.info.scheduler} --nthreads 1 "
            f"--resources {RESOURCE}=1) and re-run the same command: graded submissions are "
            "skipped"
        )

    def _fetch(self, fut: Any, recorded: int, total: int) -> tuple[Any, Exception | None]:
        """The task's value, or the exception it ended with; `SchedulerGone` if there is none.

        A result lost with its worker before it reached us is computed again by Dask (and
        ``result()`` waits for it).
        """
        if fut.status != "cancelled":  # cancelled: only when the scheduler went away
            try:
                return fut.result(), None
            except Exception as exc:
                if self.client.status in ("running", "connecting"):
                    return None, exc
        raise self._gone(recorded, total)

    def _gone(self, recorded: int, total: int) -> SchedulerGone:
        return SchedulerGone(
            f"the Dask scheduler at {self.info.scheduler} went away after {recorded} of {total} "
            "results; every one of them is in the gradebook. Start the cluster again and re-run "
            "the same command: graded submissions are skipped"
        )


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    log = logging.getLogger(name)
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _dashboard(client: Any) -> str:
    with contextlib.suppress(Exception):
        if "dashboard" in client.scheduler_info().get("services", {}):
            return str(client.dashboard_link)
    return ""


def _close(client: Any) -> None:
    """Remove the run's plugin (workers close their warm sandboxes) and disconnect, briefly."""
    if client.status == "running":
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(PLUGIN)
    with contextlib.suppress(Exception):
        client.close(timeout=5)
