"""Helpers of the sandbox tests (a unique module name: `conftest` is ambiguous across suites)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from graders.sandbox import SandboxedProcess

SLOT = 7  # the tests' worker slot; uid 61007 when run as root


@dataclass
class Run:
    """Outcome of one sandboxed snippet."""

    code: int
    out: str
    err: str
    elapsed: float
    proc: SandboxedProcess


def processes_of(uid: int, *, zombies: bool = False) -> list[int]:
    """Pids of every live process on the host whose real uid is `uid`.

    Zombies are left out: they have exited and hold nothing. (The namespace's init, orphaned when
    bwrap's launcher exits, waits as a zombie until the host's init reaps it.)
    """
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        dead = fields["State"].strip().startswith("Z")
        if int(fields["Uid"].split()[0]) == uid and (zombies or not dead):
            pids.append(int(entry.name))
    return pids


def wait_no_processes(uid: int, timeout: float = 5.0) -> list[int]:
    """Pids of `uid` still alive after up to `timeout` seconds (the kernel reaps asynchronously)."""
    deadline = time.monotonic() + timeout
    while (left := processes_of(uid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left
