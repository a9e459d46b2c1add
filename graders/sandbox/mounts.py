"""Private mount namespace that makes root-only paths reachable for an unprivileged uid.

bwrap, once run as the slot's uid, must open every bind source itself; a venv or a Python under
`/root` (mode 0700) is then unreachable ("Can't find source path ...: Permission denied"). So the
trusted side, still root, enters a private mount namespace in the child and bind-mounts each
source onto an empty directory of a world-traversable stage; bwrap then binds the stage entries
to the original paths inside the sandbox. The host's mount table never changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable, Sequence

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def private_binder(pairs: Sequence[tuple[str, str]]) -> Callable[[], None]:
    """A function (for `preexec_fn`, run as root) that binds each `(source, stage)` privately."""
    encoded = [(src.encode(), dst.encode()) for src, dst in pairs]

    def apply() -> None:
        _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        # Private propagation first, so nothing below leaks into the host's namespace.
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
        for src, dst in encoded:
            _check(_libc.mount(src, dst, None, MS_BIND | MS_REC, None), f"bind {src!r}")

    return apply
