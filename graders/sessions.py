"""Grading sessions: where one worker process runs the notebooks of the submissions it grades.

A `GradingSession` gives each submission a work folder and each notebook a kernel in a sandbox:

* `ColdSession` starts a new sandbox for every notebook in the submission's staged folder;
* `WarmSession` keeps one sandbox alive (`graders.kernel.warm.WarmSandbox`) and forks a fresh
  driver from it for every notebook; a submission it cannot start, or during which its sandbox
  died, goes to its ``fallback`` (a cold session), so it gets what a fresh sandbox gives.

`open_session` makes that choice once. A grading process owns one `WorkerSessions` (its uid slot
and its current session), set up by the pool's initializer or the Dask worker plugin alike
(`start_worker`) and reached by the grading task through `this_worker`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from graders.kernel.session import open_kernel
from graders.kernel.warm import WarmSandbox, empty_dir

if TYPE_CHECKING:
    from graders.config import GradeConfig
    from graders.kernel.client import KernelClient
    from graders.sandbox.backend import Backend


class GradingSession(Protocol):
    """One worker process's way of running notebooks (see the module docstring)."""

    backend: Backend
    slot: int
    #: Where a submission goes when this session cannot start it or lost its sandbox during it.
    fallback: GradingSession | None

    def prepare(self, modules: Sequence[str]) -> None:
        """Get ready for a submission of a lab importing ``modules``.

        Raises:
            KernelGone: The session cannot host it (its ``fallback`` grades it).
        """

    def work_folder(self, staged: Path) -> AbstractContextManager[Path]:
        """The folder a submission is copied into and executed in (``staged`` or the sandbox's
        own), empty before and after."""

    def kernel(self, work: Path, config: GradeConfig) -> AbstractContextManager[KernelClient]:
        """A fresh driver for one notebook in ``work``, ended when the block exits."""

    @property
    def lost(self) -> int:
        """Notebooks during which the sandbox itself died (not just the student's process)."""

    def close(self) -> None:
        """Kill whatever the session keeps alive."""


class ColdSession:
    """A new sandbox of ``backend`` for every notebook, in the submission's staged folder."""

    fallback: GradingSession | None = None

    def __init__(self, backend: Backend, slot: int = 0) -> None:
        self.backend, self.slot = backend, slot

    def prepare(self, modules: Sequence[str]) -> None:
        """Nothing to start ahead: each notebook starts its own sandbox."""

    @contextlib.contextmanager
    def work_folder(self, staged: Path) -> Iterator[Path]:
        yield staged  # created by the copy; the caller moves or removes it

    def kernel(self, work: Path, config: GradeConfig) -> AbstractContextManager[KernelClient]:
        return open_kernel(
            self.backend, workdir=work, limits=config.limits(), slot=self.slot, shell=config.shell
        )

    @property
    def lost(self) -> int:
        return 0  # a sandbox per notebook: a death is that notebook's outcome

    def close(self) -> None:
        """Nothing outlives a notebook."""


class WarmSession:
    """Forks of one warm sandbox of ``backend`` (with ``limits``) for every notebook."""

    def __init__(self, backend: Backend, limits: Any, slot: int = 0) -> None:
        self.backend, self.slot = backend, slot
        self.sandbox = WarmSandbox(backend, limits=limits, slot=slot)
        self.fallback: GradingSession | None = ColdSession(backend, slot)

    def prepare(self, modules: Sequence[str]) -> None:
        self.sandbox.ensure(modules)  # KernelGone: the next submission tries a new sandbox

    @contextlib.contextmanager
    def work_folder(self, staged: Path) -> Iterator[Path]:
        work = self.sandbox.workdir
        empty_dir(work)
        try:
            yield work
        finally:
            empty_dir(work)

    @contextlib.contextmanager
    def kernel(self, work: Path, config: GradeConfig) -> Iterator[KernelClient]:
        self.sandbox.hand_over()
        with self.sandbox.kernel(shell=config.shell) as client:
            yield client

    @property
    def lost(self) -> int:
        return self.sandbox.lost

    def close(self) -> None:
        self.sandbox.close()


def open_session(backend: Backend, config: GradeConfig, slot: int = 0) -> GradingSession:
    """A warm session when the run asks for one and ``backend`` isolates, else a cold one."""
    if config.warm and getattr(backend, "isolating", False):
        return WarmSession(backend, config.limits(), slot)
    return ColdSession(backend, slot)


class WorkerSessions:
    """A grading process's uid slot and its current session (one per worker process).

    The session lives from one submission to the next and is replaced when a task asks for
    another kind of sandbox (another backend, other limits, warm or not).
    """

    def __init__(self, slot: int = 0) -> None:
        self.slot = slot
        self.current: GradingSession | None = None
        self._key: tuple[Any, ...] | None = None

    def session(self, backend: Backend, config: GradeConfig) -> GradingSession:
        """This process's session for ``config`` on ``backend``."""
        # Backends that start identical sandboxes (each autograde call selects a new object).
        key = (
            type(backend),
            getattr(backend, "use_cgroups", None),
            config.warm and getattr(backend, "isolating", False),
            config.limits(),
        )
        if self.current is None or key != self._key:
            self.close()
            self.current, self._key = open_session(backend, config, self.slot), key
        return self.current

    @property
    def warm_sandbox(self) -> WarmSandbox | None:
        """The warm sandbox this process keeps alive, if any."""
        return self.current.sandbox if isinstance(self.current, WarmSession) else None

    def close(self) -> None:
        """Close the current session (at the end of a run or of the worker)."""
        if self.current is not None:
            self.current.close()
        self.current, self._key = None, None


_worker: WorkerSessions | None = None


def start_worker(slot: int) -> WorkerSessions:
    """Make this process a grading worker on uid ``slot`` (the pool's initializer, the Dask
    plugin, the in-process run); a session of another slot is closed first."""
    global _worker
    if _worker is not None and _worker.slot != slot:
        _worker.close()
        _worker = None
    if _worker is None:
        _worker = WorkerSessions(slot)
        _close_at_exit()
    return _worker


def this_worker() -> WorkerSessions:
    """This process's grading worker (slot 0 unless `start_worker` named one)."""
    return _worker if _worker is not None else start_worker(0)


def close_worker() -> None:
    """Close this process's session (kills its warm sandbox, if any)."""
    if _worker is not None:
        _worker.close()


def _close_at_exit() -> None:
    import atexit
    from multiprocessing import util

    atexit.register(close_worker)  # the main process
    util.Finalize(None, close_worker, exitpriority=10)  # pool workers skip atexit
