"""A warm sandbox's scratch space, put back as it was between students (runs INSIDE the sandbox).

The zygote and the student's processes share one uid, so whatever a student does to ``/tmp`` or
``/dev/shm`` (``chmod 0555``, directories without any permission, extended attributes or ACLs on
the mount itself, files left to fill it, SysV IPC objects) the zygote can undo: no capability is
needed to undo what the same uid did without one. What cannot be undone, or is not as recorded
afterwards, is reported, and the trusted side then discards the whole sandbox.

The baseline is recorded once, before any student ran: each mount's mode, extended attributes
and the mount points below it (the read-only binds bubblewrap made there, such as the work
directory when it lives under one of them), with the directories leading to them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import stat
from dataclasses import dataclass
from pathlib import Path

ROOTS = ("/tmp", "/dev/shm")
# SysV IPC objects of the sandbox's IPC namespace: /proc/sysvipc/<kind> lists them.
_IPC_RMID = 0


@dataclass(frozen=True)
class Baseline:
    """One scratch mount as it was before any student ran."""

    root: str
    mode: int
    xattrs: frozenset[str]
    kept: dict[str, int]  # directories leading to a mount point below root -> their mode
    mounts: frozenset[str]  # mount points below root (never entered, never removed)
    used_blocks: int


def _xattrs(path: str) -> frozenset[str]:
    try:
        return frozenset(os.listxattr(path, follow_symlinks=False))
    except OSError:  # a file system without extended attributes
        return frozenset()


def _used(root: str) -> int:
    vfs = os.statvfs(root)
    return vfs.f_blocks - vfs.f_bfree


def _walk(root: str) -> tuple[dict[str, int], set[str]]:
    """Directories on root's file system that lead to a mount point (with modes), and mounts."""
    device = os.lstat(root).st_dev
    dirs: dict[str, int] = {}
    mounts: set[str] = set()
    stack = [root]
    while stack:
        here = stack.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                if info.st_dev != device:
                    mounts.add(entry.path)
                elif stat.S_ISDIR(info.st_mode):
                    dirs[entry.path] = stat.S_IMODE(info.st_mode)
                    stack.append(entry.path)
    kept = {d: m for d, m in dirs.items() if any(x.startswith(d + "/") for x in mounts)}
    return kept, mounts


def baseline(root: str) -> Baseline:
    """Record ``root`` as it is now (call before any student code ran)."""
    kept, mounts = _walk(root)
    mode = stat.S_IMODE(os.lstat(root).st_mode)
    return Baseline(root, mode, _xattrs(root), kept, frozenset(mounts), _used(root))


def _restore(path: str, mode: int, xattrs: frozenset[str]) -> None:
    os.chmod(path, mode)
    for name in _xattrs(path) - xattrs:
        os.removexattr(path, name, follow_symlinks=False)


def _remove(path: str) -> None:
    """Delete ``path``; directories first get back the permissions the student took away.

    Path-based and iterative: a tree deeper than the sandbox's open-file limit (or Python's
    recursion limit) is removed all the same.
    """
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        os.unlink(path)
        return
    order, stack = [], [path]
    while stack:  # top-down: a directory must be readable before its entries can be listed
        here = stack.pop()
        os.chmod(here, 0o700)
        order.append(here)
        with os.scandir(here) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    os.unlink(entry.path)
    for here in reversed(order):  # every child was listed after its parent
        os.rmdir(here)


def _clear(base: Baseline) -> None:
    stack = [base.root]
    while stack:
        here = stack.pop()
        with os.scandir(here) as it:
            entries = list(it)
        for entry in entries:
            if entry.path in base.mounts:
                continue
            if entry.path in base.kept and entry.is_dir(follow_symlinks=False):
                _restore(entry.path, base.kept[entry.path], frozenset())
                stack.append(entry.path)
            else:
                _remove(entry.path)


def _check(base: Baseline) -> str | None:
    info = os.lstat(base.root)
    if stat.S_IMODE(info.st_mode) != base.mode:
        return f"mode {stat.S_IMODE(info.st_mode):o}, expected {base.mode:o}"
    if _xattrs(base.root) != base.xattrs:
        return "extended attributes left on the mount"
    kept, mounts = _walk(base.root)
    if kept != base.kept or mounts != base.mounts:
        return "entries left (or mount points moved)"
    if _used(base.root) > base.used_blocks:
        return "space still in use (a file kept open?)"
    return None


def reset(base: Baseline) -> str | None:
    """Put one scratch mount back as recorded; None when done, else what is wrong."""
    try:
        _restore(base.root, base.mode, base.xattrs)
        _clear(base)
        problem = _check(base)
    except (OSError, RecursionError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    return f"{base.root}: {problem}" if problem else None


def _sysv_ids(kind: str) -> list[int]:
    """Ids of the IPC namespace's SysV objects of ``kind`` (shm, msg, sem)."""
    try:
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
    except OSError:
        return []
    return [int(line.split()[1]) for line in lines if line.split()]


def reset_sysv_ipc() -> str | None:
    """Remove every SysV shared memory segment, message queue and semaphore set."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # not Linux
        return None
    calls = {
        "shm": lambda i: libc.shmctl(i, _IPC_RMID, None),
        "msg": lambda i: libc.msgctl(i, _IPC_RMID, None),
        "sem": lambda i: libc.semctl(i, 0, _IPC_RMID),
    }
    for kind, remove in calls.items():
        for ident in _sysv_ids(kind):
            remove(ident)
        with contextlib.suppress(OSError):
            if _sysv_ids(kind):
                return f"SysV IPC: {kind} objects could not be removed"
    return None


def reset_all(baselines: list[Baseline]) -> str | None:
    """Reset every scratch mount and the SysV IPC namespace; the first problem, or None."""
    problems = [reset(base) for base in baselines] + [reset_sysv_ipc()]
    return next((p for p in problems if p), None)


def baselines(roots: tuple[str, ...] = ROOTS) -> list[Baseline]:
    """Baselines of the scratch mounts that exist here."""
    return [baseline(r) for r in roots if os.path.isdir(r)]
