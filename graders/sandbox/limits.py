"""Resource limits of one sandboxed process, and the pre-exec hook that applies them."""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Callable
from dataclasses import dataclass

from graders import defaults as D

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What one sandboxed process may use.

    Attributes:
        cell_timeout_s: Per-request deadline; enforced by the engine when it reads a response.
        wall_time_s: Whole process lifetime; the backend kills everything after it.
        memory_mb: Address-space cap (RLIMIT_AS) per process.
        max_procs: Process cap (RLIMIT_NPROC) for the slot's uid.
        max_file_mb: Largest file a process may write (RLIMIT_FSIZE); also the size of `/tmp`.
        max_output_bytes: Cap on captured stderr.
        nofile: Open file descriptors per process (RLIMIT_NOFILE).
    """

    cell_timeout_s: float = D.CELL_TIMEOUT_S
    wall_time_s: float = D.WALL_TIME_S
    memory_mb: int = D.MEMORY_MB
    max_procs: int = D.MAX_PROCS
    max_file_mb: int = D.MAX_FILE_MB
    max_output_bytes: int = D.MAX_OUTPUT_BYTES
    nofile: int = 256

    def __post_init__(self) -> None:
        for name in ("cell_timeout_s", "wall_time_s", "memory_mb", "max_procs", "max_file_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.max_output_bytes < 0 or self.nofile < 16:
            raise ValueError("Limits.max_output_bytes must be >= 0 and Limits.nofile >= 16")

    def rlimits(self) -> dict[int, int]:
        """The rlimits to set, as `{resource: soft = hard}`."""
        return {
            resource.RLIMIT_AS: self.memory_mb * MIB,
            # CPU seconds over the whole lifetime: a busy loop dies even if the watchdog is late.
            resource.RLIMIT_CPU: max(1, math.ceil(self.wall_time_s)),
            resource.RLIMIT_FSIZE: self.max_file_mb * MIB,
            resource.RLIMIT_NOFILE: self.nofile,
            resource.RLIMIT_NPROC: self.max_procs,
            resource.RLIMIT_CORE: 0,
        }


def processes_of_current_user() -> int:
    """How many processes the calling user runs now (RLIMIT_NPROC counts all of them)."""
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += os.stat(entry.path).st_uid == uid
            except OSError:
                continue
    return count


def rlimit_setter(limits: Limits) -> Callable[[], None]:
    """A function that applies `limits` to the calling process (for `preexec_fn`).

    Computed before the fork so that the child only makes system calls. RLIMIT_NPROC counts
    every process of the real uid: for root's slot uids (empty) it is `max_procs`; for a
    non-root caller, who already runs other processes, the sandbox gets `max_procs` more than
    the caller runs now (and root ignores it, so nothing changes there).
    """
    values = limits.rlimits()
    if os.getuid() != 0:
        values[resource.RLIMIT_NPROC] += processes_of_current_user()
    pairs = []
    for res, value in values.items():
        hard = resource.getrlimit(res)[1]  # an unprivileged process cannot raise its hard limit
        pairs.append((res, value if hard == resource.RLIM_INFINITY else min(value, hard)))

    def apply() -> None:
        for res, value in pairs:
            resource.setrlimit(res, (value, value))

    return apply
