"""Optional hard caps for the whole sandbox via cgroups (v2 or v1 memory/pids), when writable.

rlimits are per process (RLIMIT_AS) or per uid (RLIMIT_NPROC); a cgroup caps the sandbox as a
whole, tmpfs pages included. Best effort: any failure means "rlimits only", never a refusal.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from graders.sandbox.limits import MIB, Limits

ROOT = Path("/sys/fs/cgroup")
PREFIX = "mlops-sbx-"


def _v2_settings(limits: Limits) -> dict[str, str] | None:
    try:
        enabled = (ROOT / "cgroup.subtree_control").read_text().split()
    except OSError:
        return None
    if "memory" not in enabled:
        return None
    settings = {"memory.max": str(limits.memory_mb * MIB), "memory.swap.max": "0"}
    if "pids" in enabled:
        settings["pids.max"] = str(limits.max_procs)
    return settings


def _plan(limits: Limits) -> dict[Path, dict[str, str]]:
    """Controller dir → settings, for the hierarchy this machine has."""
    if (ROOT / "cgroup.controllers").exists():
        settings = _v2_settings(limits)
        return {ROOT: settings} if settings else {}
    plan = {}
    if (ROOT / "memory" / "cgroup.procs").exists():
        plan[ROOT / "memory"] = {"memory.limit_in_bytes": str(limits.memory_mb * MIB)}
    if (ROOT / "pids" / "cgroup.procs").exists():
        plan[ROOT / "pids"] = {"pids.max": str(limits.max_procs)}
    return plan


def sweep(min_age_s: float = 60.0) -> None:
    """Remove empty cgroups left by earlier sandboxes (their init may have been a zombie then).

    Only old ones: a fresh empty group may belong to a sandbox another worker is starting.
    """
    now = time.time()
    for base in (ROOT, ROOT / "memory", ROOT / "pids"):
        for stale in base.glob(PREFIX + "*"):
            with contextlib.suppress(OSError):
                if now - stale.stat().st_mtime > min_age_s:
                    stale.rmdir()


class Cgroup:
    """One sandbox's cgroup(s); `enter` (pre-exec) moves the calling process into them."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs
        self.description = ", ".join("v2" if d.parent == ROOT else d.parent.name for d in dirs)

    @classmethod
    def create(cls, limits: Limits) -> Cgroup | None:
        """Create and configure the cgroup(s), or None when that is not possible here."""
        if os.geteuid() != 0:
            return None
        sweep()
        name = PREFIX + uuid.uuid4().hex[:12]
        made: list[Path] = []
        try:
            for base, settings in _plan(limits).items():
                group = base / name
                group.mkdir()
                made.append(group)
                for key, value in settings.items():
                    if (group / key).exists():
                        (group / key).write_text(value)
        except OSError:
            cls(made).remove()
            return None
        return cls(made) if made else None

    def enter_hook(self) -> Callable[[], None]:
        """A pre-exec function that moves the child into the cgroup(s)."""
        files = [str(d / "cgroup.procs") for d in self.dirs]

        def enter() -> None:
            # Best effort: a host that lets us create a group but not move into it (delegation
            # rules) still grades, under rlimits only.
            pid = str(os.getpid()).encode()
            for name in files:
                try:
                    fd = os.open(name, os.O_WRONLY)
                except OSError:
                    continue
                with contextlib.suppress(OSError):
                    os.write(fd, pid)
                os.close(fd)

        return enter

    def remove(self) -> None:
        """Remove the cgroup(s); a busy one is left for the next `sweep`."""
        for group in self.dirs:
            with contextlib.suppress(OSError):
                group.rmdir()
