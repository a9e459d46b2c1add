"""Which unprivileged uid a sandbox runs as: the slot's, unless another grader holds it.

RLIMIT_NPROC counts per uid, and "nothing left" means "no process of that uid": so a uid must
serve one sandbox at a time, also across grading runs that do not know of each other (two
cohorts at once, a CI clone next to a checkout). Each uid is claimed with an advisory lock file;
when the slot's uid is taken, the next one up (+1000, +2000, ...) is used.
"""

from __future__ import annotations

import contextlib
import fcntl
import os

MAX_SLOTS = 1000
SLOT_UID_BASE = 61000
_TRIES = 20
LOCK_DIR = "/tmp/mlops-uid-locks"  # not "mlops-sbx-*": the stage sweep must never touch it


def slot_uid(slot: int) -> int:
    """The unprivileged uid (and gid) of a worker slot.

    The base is 61000 unless `MLOPS_GRADE_SLOT_UID_BASE` says otherwise.
    """
    if not 0 <= slot < MAX_SLOTS:
        raise ValueError(f"slot must be in [0, {MAX_SLOTS}), got {slot}")
    base = int(os.environ.get("MLOPS_GRADE_SLOT_UID_BASE", SLOT_UID_BASE))
    if base < 1000:
        raise ValueError(f"MLOPS_GRADE_SLOT_UID_BASE must be >= 1000, got {base}")
    return base + slot


def claim_uid(slot: int, lock_dir: str = LOCK_DIR) -> tuple[int, int | None]:
    """A free uid for `slot` and the open lock fd that holds it (close it to release).

    Returns the slot's own uid without a lock when no lock file can be made (read-only dir).
    Lock files are never removed: unlinking a lock file races with a grader opening it.
    """
    first = slot_uid(slot)
    try:
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
    except OSError:
        return first, None
    for step in range(_TRIES):
        uid = first + step * MAX_SLOTS
        try:
            fd = os.open(f"{lock_dir}/mlops-sbx-uid-{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return first, None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return uid, fd
    return first, None


def release(fd: int | None) -> None:
    """Give a claimed uid back."""
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
