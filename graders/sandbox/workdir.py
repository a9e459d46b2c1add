"""Hand a work directory to the slot uid and back, without following student symlinks."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def chown_tree(root: Path, uid: int, gid: int) -> None:
    """`chown -R --no-dereference` of `root`; entries that vanish meanwhile are skipped."""
    try:
        os.chown(root, uid, gid, follow_symlinks=False)
    except FileNotFoundError:
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in (*dirnames, *filenames):
            with contextlib.suppress(FileNotFoundError):
                os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)
