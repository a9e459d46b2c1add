"""Write a whole folder or nothing: build it in a hidden temp sibling, then rename it into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_directory(out_dir: Path, *, mode: int | None = None) -> Iterator[Path]:
    """Yield an empty temp folder beside `out_dir`; on success it replaces `out_dir` whole.

    On any exception (Ctrl-C included) the temp folder is removed and `out_dir` is untouched, so
    a reader never sees a half-written folder.

    Args:
        out_dir: the folder to create or replace.
        mode: permissions for the new folder (mkdtemp makes it private, 0o700).
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    if mode is not None:
        tmp.chmod(mode)
    try:
        yield tmp
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old)
        else:
            tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
