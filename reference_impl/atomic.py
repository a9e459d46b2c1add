"""Write a file or a whole folder or nothing: build it under a hidden temp name, then rename it.

The one way reference_impl writes anything a reader may open concurrently (datasets, models,
reports, plots). A rename within one folder is atomic on POSIX, so a reader sees the old version
or the new one, never half of one; on any exception (Ctrl-C included) the temp is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_file(path: Path, *, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temp path beside `path` to write to; on success it replaces `path`.

    Args:
        path: the file to create or replace (its folder is created).
        mode: permissions of the new file (mkstemp makes it private, 0o600).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keep the suffix: writers such as matplotlib and pandas pick the format from it.
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.chmod(mode)
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> Path:
    """Write `text` to `path` atomically; return `path`."""
    with atomic_file(path) as tmp:
        tmp.write_text(text)
    return path


def write_json(path: Path, payload: Any) -> Path:
    """Write `payload` as indented, key-sorted JSON (one trailing newline) atomically."""
    return write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


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
