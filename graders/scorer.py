"""Score one notebook in a forked, unprivileged, bounded process: defence in depth.

Test code runs in a trusted process and a student's values reach it only as data or proxies
(`graders.kernel.decode`). Should that ever fail, the damage must stay small, so the process that
executes test code and decodes student data is not the grading worker itself but a fork of it,
made for this one notebook:

- as root, it sees a read-only view of what it needs (`SCORER_VIEW`: the Python installation, the
  engine and lab packages, the student's work directory) in a private mount namespace with its
  own small ``/tmp``, then drops to an unprivileged uid of its own (never the sandbox's), with no
  new privileges; not the course folder, its source notebooks, other submissions or the gradebook;
- it has memory (RLIMIT_AS), CPU-time and file-size caps, and the parent's watchdog;
- it sends its results back as JSON on a pipe and exits; only the parent writes files and the
  gradebook. If it dies or overruns, the notebook is ``error:grader-limit`` and the run goes on;
- nothing it or a test did survives into the next notebook: the next one gets a new fork.

Without root (an instructor's laptop) the uid and the view stay the caller's; the limits apply.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders import defaults as D
from graders.kernel.client import (
    GraderLimit,
    KernelClient,
    KernelDied,
    KernelProtocolError,
    KernelTimeout,
)
from graders.results import TestResult
from graders.runner import RunOutcome, run_notebook
from graders.scoring import TestSpec, trusted_base

SCORER_UID_OFFSET = 100_000  # the scorer's uid: the sandbox uid + this (never the same uid)
MAX_REPORT_BYTES = 512 << 20
PR_SET_NO_NEW_PRIVS = 38
_GONE = {c.__name__: c for c in (KernelDied, KernelTimeout, KernelProtocolError, GraderLimit)}


@dataclass(frozen=True)
class ScorerLimits:
    """What the scoring process may use.

    Attributes:
        memory_mb: Address space on top of what the worker already maps when it forks.
        cpu_s: CPU seconds of the scoring process (test code, decoding).
        wall_s: The parent's watchdog: the notebook's wall time plus a margin.
        file_mb: Largest file test code may write (in its own ``/tmp``).
    """

    memory_mb: int = D.SCORER_MEMORY_MB
    cpu_s: int = 600
    wall_s: float = 660.0
    file_mb: int = 64


class _PipeOnly:
    """The sandbox process as the scoring child sees it: its pipes, nothing it could kill or
    reap (the parent owns the process and decides what happens to it)."""

    def __init__(self, proc: Any) -> None:
        self.stdin, self.stdout = proc.stdin, proc.stdout

    def kill(self) -> None:
        pass

    def poll(self) -> None:
        return None


def score_notebook(
    nb: dict[str, Any],
    client: KernelClient,
    tests: dict[str, TestSpec],
    instructor_sources: list[str],
    *,
    share_test_bindings: bool,
    limits: ScorerLimits,
    workdir: Path,
    slot: int = 0,
) -> RunOutcome:
    """`run_notebook` in a confined child; ``nb`` gets its outputs and ``client`` its state back.

    A child that dies, overruns its watchdog or sends a malformed report ends the notebook with
    ``client.gone`` set to `GraderLimit` (the sandbox is then never reused).
    """
    uid = _scorer_uid(client, slot)
    stage = tempfile.mkdtemp(prefix="mlops-scorer-") if uid is not None else None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(nb, client, tests, instructor_sources, share_test_bindings, limits, workdir,
               uid, stage, write_end)  # fmt: skip
    os.close(write_end)
    try:
        raw, why = _collect(read_end, pid, limits.wall_s)
    finally:
        os.close(read_end)
        if stage is not None:
            with contextlib.suppress(OSError):
                os.rmdir(stage)
    report = _parse(raw) if why is None else None
    if report is None:
        client.gone = GraderLimit(why or "the scoring process sent no usable report")
        return RunOutcome(gone=client.gone, exec_s=client.busy_s)
    return _apply(report, nb, client)


def _scorer_uid(client: KernelClient, slot: int) -> int | None:
    if os.geteuid() != 0:
        return None
    sandbox_uid = getattr(client.proc, "uid", None)
    base = sandbox_uid if isinstance(sandbox_uid, int) and sandbox_uid > 0 else 61000 + slot
    return base + SCORER_UID_OFFSET


def _collect(fd: int, pid: int, wall_s: float) -> tuple[bytes, str | None]:
    """The child's report and why there is none (None when it ended normally)."""
    deadline = time.monotonic() + wall_s
    chunks: list[bytes] = []
    size = 0
    why: str | None = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            why = f"the scoring process ran over its {wall_s:g} s watchdog"
            break
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_REPORT_BYTES:
            why = "the scoring process sent a report larger than its cap"
            break
        chunks.append(chunk)
    if why is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if why is None and not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        if os.WIFSIGNALED(status):
            sig = signal.Signals(os.WTERMSIG(status)).name
            why = f"the scoring process was killed by {sig} (memory or CPU limit)"
        else:
            why = f"the scoring process failed (exit code {os.WEXITSTATUS(status)})"
    return b"".join(chunks), why


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        report = json.loads(raw)
    except ValueError:
        return None
    return report if isinstance(report, dict) and isinstance(report.get("tests"), list) else None


def _apply(report: dict[str, Any], nb: dict[str, Any], client: KernelClient) -> RunOutcome:
    cells = nb.get("cells", [])
    for index, outputs in report.get("outputs", []):
        if isinstance(index, int) and 0 <= index < len(cells):
            cells[index]["outputs"] = outputs
    gone = report.get("gone")
    if isinstance(gone, dict) and gone.get("kind") in _GONE:
        exc = _GONE[gone["kind"]](str(gone.get("detail", "")))
        if isinstance(exc, KernelDied):
            exc.pipe_closed = bool(gone.get("pipe_closed"))
        client.gone = exc
    client.busy_s = float(report.get("busy_s", 0.0))
    client._buf = bytes.fromhex(str(report.get("pending", "")))
    return RunOutcome(
        tests=[TestResult.from_dict(t) for t in report["tests"]],
        gone=client.gone,
        exec_s=client.busy_s,
        cell_errors=[str(e) for e in report.get("cell_errors", [])],
        limits=[str(x) for x in report.get("limits", [])],
    )


def _child(
    nb: dict[str, Any],
    client: KernelClient,
    tests: dict[str, TestSpec],
    sources: list[str],
    share: bool,
    limits: ScorerLimits,
    workdir: Path,
    uid: int | None,
    stage: str | None,
    out_fd: int,
) -> None:
    code = 0
    try:
        # Only the pipes to the sandbox and the report pipe stay open: an inherited descriptor
        # (the gradebook's SQLite file when grading in the main process) would stay writable
        # after the uid drop.
        _close_fds_but({0, 1, 2, out_fd, client.proc.stdin.fileno(), client.proc.stdout.fileno()})
        client.proc = _PipeOnly(client.proc)
        base = trusted_base(sources)  # the instructor's imports, before the walls go up
        confine(limits, uid=uid, stage=stage, workdir=workdir)
        outcome = run_notebook(nb, client, tests, sources, share_test_bindings=share, base=base)
        gone = outcome.gone
        report = {
            "tests": [t.to_dict() for t in outcome.tests],
            "gone": None
            if gone is None
            else {
                "kind": type(gone).__name__,
                "detail": gone.detail,
                "pipe_closed": getattr(gone, "pipe_closed", False),
            },
            "busy_s": client.busy_s,
            "pending": client._buf.hex(),
            "cell_errors": outcome.cell_errors,
            "limits": outcome.limits,
            "outputs": [
                [i, c.get("outputs", [])]
                for i, c in enumerate(nb.get("cells", []))
                if c.get("cell_type") == "code"
            ],
        }
        data = json.dumps(report).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(out_fd, view) :]
    except BaseException:  # noqa: BLE001 - the parent records the failure as grader-limit
        code = 70
        with contextlib.suppress(BaseException):
            traceback.print_exc(limit=-8)  # the instructor's terminal: why the scorer failed
    finally:
        os._exit(code)


def _close_fds_but(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def confine(
    limits: ScorerLimits,
    *,
    uid: int | None,
    stage: str | None,
    workdir: Path,
    view: Sequence[str] | None = None,
) -> None:
    """Walls for the calling process: the read-only view and the uid (as root), then limits."""
    os.environ.update({"HOME": "/tmp", "MPLCONFIGDIR": "/tmp"})
    if uid is not None and stage is not None:
        paths = list(view) if view is not None else scorer_view(workdir)
        _enter_view(stage, paths, workdir)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails, it does not kill
    used = _mapped_bytes()
    for res, value in (
        (resource.RLIMIT_AS, used + limits.memory_mb * (1 << 20)),
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_FSIZE, limits.file_mb * (1 << 20)),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(res, (value, value))
    if uid is not None:
        _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))


def scorer_view(workdir: Path) -> list[str]:
    """What the scoring process may read: Python, the engine and lab packages, the system
    libraries, the student's work directory. Not the course folder or anything else."""
    from graders.kernel.session import LAB_PACKAGES, package_dirs

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(workdir)}
    paths.update(p for p in sys.path if p and "-packages" in p and os.path.isdir(p))
    paths.update(str(p) for p in package_dirs(["graders", *LAB_PACKAGES]))
    # Not /sys: binding it (many submounts) costs more than all the rest; nothing needs it.
    paths.update(("/usr", "/etc", "/proc", "/lib", "/lib64", "/bin", "/sbin"))
    return sorted(p for p in paths if os.path.lexists(p))


def _mapped_bytes() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 0x1000, 0x4000, 1 << 18


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _enter_view(stage: str, paths: Sequence[str], workdir: Path) -> None:
    """A private mount namespace whose root is a tmpfs holding read-only binds of ``paths``."""
    libc = _libc()
    mount: Callable[..., int] = libc.mount
    _call(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
    _call(mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
    _call(mount(b"tmpfs", stage.encode(), b"tmpfs", 0, b"size=8m,mode=0755"), "tmpfs root")
    # Its own /tmp first: a work directory under the host's /tmp is bound on top of it.
    tmp = stage + "/tmp"
    os.makedirs(tmp, exist_ok=True)
    _call(mount(b"tmpfs", tmp.encode(), b"tmpfs", 0, b"size=64m,mode=1777"), "tmpfs /tmp")
    # Shortest first, so a parent is bound before what lies inside it; symlinks stay symlinks.
    for path in sorted(paths, key=len):
        target = stage + path
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), target)
            continue
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            Path(target).touch()
        _call(mount(path.encode(), target.encode(), None, _MS_BIND | _MS_REC, None), f"bind {path}")
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        _call(mount(None, target.encode(), None, flags, None), f"read-only {path}")
    dev = stage + "/dev"
    os.makedirs(dev, exist_ok=True)
    for name in ("null", "zero", "urandom", "random"):
        Path(dev, name).touch()
        _call(mount(f"/dev/{name}".encode(), f"{dev}/{name}".encode(), None, _MS_BIND, None), name)
    _call(mount(None, stage.encode(), None, _MS_REMOUNT | _MS_RDONLY, b"size=8m"), "seal root")
    os.chroot(stage)
    os.chdir(str(workdir))
