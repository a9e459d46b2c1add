"""Warm sandboxes: one per worker, a fresh driver forked from it for every notebook.

Starting Python and importing numpy, pandas and scikit-learn costs a lab notebook more than its
own work (about 1.5 s of CPU for the usual imports). A worker therefore keeps one sandbox alive
whose resident process (`graders.kernel.zygote`) has imported the lab's modules, named by the
instructor's locked cells, never by a submission. Each notebook runs in a process forked from it:
new memory (copy-on-write), empty namespace, its own CPU limit, the same sandbox walls.

What one submission can leave behind for the next is ruled out, not assumed away:

- files: the work directory is emptied and refilled by this (trusted) side for every submission;
  the zygote puts ``/tmp`` and ``/dev/shm`` (modes, extended attributes, contents) and SysV IPC
  back as they were before any student ran, around every notebook, and checks the result
  (`graders.kernel.scratch`); a reset that fails or leaves anything discards the whole sandbox;
- processes: after a notebook, the sandbox's PID-namespace init must have the zygote as its only
  child and the zygote none, else the whole sandbox is killed and the next notebook gets a new one;
- the zygote itself: not dumpable (no ptrace, no ``/proc/<pid>/mem`` for the student's uid), and a
  killed zygote only costs a new sandbox;
- any failure (timeout, crash, protocol violation) kills the whole sandbox, as the cold path does.

Not reset: POSIX message queues of the sandbox's IPC namespace (listing them needs an mqueue
mount the sandbox has not got). Nothing of the driver or the grading reads them.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import os
import select
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graders.kernel.client import KernelClient, KernelDied, KernelGone, KernelProtocolError
from graders.kernel.session import DRIVER_PATHS, LAB_PACKAGES, package_dirs, stderr_tail

if TYPE_CHECKING:
    from graders.sandbox.backend import Backend

ZYGOTE_ARGV = (sys.executable, "-m", "graders.kernel.zygote")
LIFETIME_S = 7 * 86400.0  # the zygote's own watchdog; each notebook has its own deadline
# Forking is safe with idle BLAS threads, but one thread per notebook is also the right share of
# the cores when every core already runs a worker.
ENV = {
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def lab_imports(sources: Iterable[str]) -> list[str]:
    """Modules imported at the top level of instructor code (``import a``, ``from b import c``)."""
    names: dict[str, None] = {}
    for text in sources:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update((alias.name, None) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names[node.module] = None
    return list(names)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.scandir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                text = Path(task.path, "children").read_text()
                found.update(int(p) for p in text.split())
    return found


# Work directory -> the warm sandbox it belongs to (a failed emptying discards that sandbox).
_OWNERS: dict[str, WarmSandbox] = {}


def empty_dir(path: Path) -> None:
    """Remove everything inside ``path`` however the student left it, keep ``path``.

    Raises:
        OSError: Something stayed. The warm sandbox of that work directory is then discarded and
            given a new, empty one, so the next submission never sees what stayed.
    """
    from graders.sandbox.workdir import empty_dir as empty

    try:
        empty(path)
    except OSError:
        owner = _OWNERS.get(str(path))
        if owner is not None:
            owner.renew()
        raise


class WarmSandbox:
    """One worker's warm sandbox (see the module docstring).

    Args:
        backend: An isolating backend whose processes expose ``init_pid`` (bubblewrap).
        limits: The per-notebook limits; the zygote gets the same walls and a long lifetime.
        slot: The worker's uid slot.
        packages: Repository packages shown read-only (default `LAB_PACKAGES`).
    """

    def __init__(
        self,
        backend: Backend,
        *,
        limits: Any,
        slot: int = 0,
        packages: Sequence[str] = LAB_PACKAGES,
    ) -> None:
        self.backend, self.limits, self.slot, self.packages = backend, limits, slot, packages
        self.workdir = self._new_workdir()
        self.proc: Any = None
        self.zygote_pid: int | None = None
        self.loaded: set[str] = set()
        self.spawned = 0  # how many sandboxes this worker started (1 when nothing went wrong)
        self.forks = 0
        # Notebooks during which the sandbox itself died (e.g. `kill -1` reached the zygote, which
        # shares the student's uid): their submission is graded again in a cold sandbox.
        self.lost = 0
        # Why the zygote could not put the scratch space back (each cost the sandbox).
        self.reset_failures: list[str] = []

    # -- life cycle ------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure(self, preload: Sequence[str] = ()) -> None:
        """Start the sandbox if there is none, and import the modules it does not hold yet."""
        if not self.alive:
            self.discard()
            self._spawn()
        missing = [m for m in preload if m not in self.loaded]
        if missing:
            reply = self._command({"op": "preload", "modules": missing}, timeout=120)
            self.loaded.update(missing)  # failed ones too: they fail the same way in the notebook
            if not isinstance(reply.get("loaded"), list):
                self.discard()
                raise KernelProtocolError("the warm sandbox did not answer its preload")

    def _spawn(self) -> None:
        limits = replace(self.limits, wall_time_s=LIFETIME_S, max_procs=self.limits.max_procs + 1)
        self.proc = self.backend.spawn(
            list(ZYGOTE_ARGV),
            workdir=self.workdir,
            limits=limits,
            env=ENV,
            slot=self.slot,
            ro_paths=[*DRIVER_PATHS, *package_dirs(self.packages)],
        )
        self.spawned += 1
        self._command({"op": "preload", "modules": []}, timeout=60)
        init = self.proc.init_pid()
        kids = _children(init) if init else set()
        if len(kids) != 1:
            self.discard()
            raise KernelDied("the warm sandbox did not start its zygote")
        self.zygote_pid = kids.pop()

    def _command(self, message: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        client = KernelClient(self.proc, cell_timeout_s=timeout, wall_time_s=timeout)
        try:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()
            reply = json.loads(client.read_line(timeout))
        except (OSError, ValueError, KernelGone) as exc:
            detail = f"the warm sandbox failed ({exc}){stderr_tail(self.proc)}"
            self.discard()
            raise KernelDied(detail) from None
        if not isinstance(reply, dict):
            self.discard()
            raise KernelProtocolError("the warm sandbox sent a malformed reply")
        return reply

    def discard(self) -> None:
        """Kill the sandbox and everything in it; the next `ensure` starts a new one."""
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self.proc.close()
        self.proc, self.zygote_pid, self.loaded = None, None, set()

    def close(self) -> None:
        """Kill the sandbox and remove its work directory."""
        self.discard()
        _OWNERS.pop(str(self.workdir), None)
        from graders.sandbox.workdir import remove_tree

        with contextlib.suppress(OSError):
            remove_tree(self.workdir.parent)

    def renew(self) -> None:
        """A new sandbox with a new work directory next time (the old one could not be reset)."""
        self.close()
        self.reset_failures.append(f"work directory {self.workdir} could not be emptied")
        self.workdir = self._new_workdir()

    def _new_workdir(self) -> Path:
        root = tempfile.mkdtemp(prefix="mlops-sbx-warm-", dir=_warm_root())
        os.chmod(root, 0o711)
        workdir = Path(root) / "work"
        workdir.mkdir()
        _OWNERS[str(workdir)] = self
        return workdir

    # -- submissions -----------------------------------------------------------------------------
    def hand_over(self) -> None:
        """Give the (refilled) work directory to the sandbox's uid."""
        from graders.sandbox.workdir import chown_tree

        if os.geteuid() == 0 and self.alive:
            chown_tree(self.workdir, self.proc.uid, self.proc.uid)

    def clean(self) -> bool:
        """True when only the zygote is left in the sandbox (nothing a notebook started)."""
        init = self.proc.init_pid() if self.alive else None
        if init is None or self.zygote_pid is None:
            return False
        return _children(init) == {self.zygote_pid} and not _children(self.zygote_pid)

    def _quiet(self, client: KernelClient) -> bool:
        """Nothing left unread on the pipe: bytes a finished notebook's process wrote after
        its driver's last answer would otherwise reach the next student's client."""
        if client.pending_bytes():
            return False
        ready, _, _ = select.select([self.proc.stdout.fileno()], [], [], 0)
        return not ready

    def _reset(self, reply: Any) -> bool:
        """Did the zygote report the driver's exit and a complete reset of the scratch space?"""
        if not isinstance(reply, dict) or reply.get("op") != "exited":
            return False
        if reply.get("reset") is not True:
            self.reset_failures.append(str(reply.get("problem"))[:300])
            return False
        return True

    @contextlib.contextmanager
    def kernel(
        self, *, shell: str = "auto", startup_timeout_s: float = 60.0
    ) -> Iterator[KernelClient]:
        """A fresh driver forked from the zygote; ended (or the whole sandbox killed) on exit."""
        if not self.alive:
            self.ensure()
        cpu_s = max(1, math.ceil(self.limits.wall_time_s))
        fork = json.dumps({"op": "fork", "cpu_s": cpu_s}).encode() + b"\n"
        try:
            self.proc.stdin.write(fork)
            self.proc.stdin.flush()
        except OSError:
            self.discard()
            raise KernelDied("the warm sandbox is gone") from None
        self.forks += 1
        client = KernelClient(
            self.proc,
            cell_timeout_s=self.limits.cell_timeout_s,
            wall_time_s=self.limits.wall_time_s,
            max_response_bytes=max(self.limits.max_output_bytes * 4, 256 << 20),
            exit_reports=True,
        )
        reusable = False
        try:
            try:
                client.hello(
                    shell=shell, output_cap=self.limits.max_output_bytes, timeout=startup_timeout_s
                )
            except KernelDied as exc:
                exc.detail += stderr_tail(self.proc)
                raise
            yield client
            if client.gone is None:
                with contextlib.suppress(KernelGone, ValueError):
                    client.request("exit", timeout=10)
                    reply = json.loads(client.read_line(30))
                    reusable = self._reset(reply) and self.clean() and self._quiet(client)
        finally:
            gone = client.gone
            if isinstance(gone, KernelDied) and gone.pipe_closed:
                self.lost += 1
            if not reusable:
                self.discard()


def _warm_root() -> str | None:
    """Where warm work directories live: outside ``/tmp``, which is scratch inside the sandbox."""
    from graders.sandbox.bubblewrap import _stage_root, _sweep_stale_stages

    root = _stage_root(("/var/tmp", "/dev/shm"))
    if root is not None:
        _sweep_stale_stages(root)
    return root or _stage_root()
