"""What leaves a sandbox's work directory for ``autograded/``: bounded, regular files only.

The executed work directory is the student's: any number of files, sparse files that cost the
sandbox nothing (30 of them once became 2.8 GB on the host when copied whole), symlinks, FIFOs.
What returns is capped in file count and in total bytes (apparent size, so a sparse file counts
what it would weigh to anyone who reads it), the graded notebooks first; holes are copied as
holes; symlinks, FIFOs, sockets and devices are never opened, followed or copied; nothing nested
deeper than 32 folders (or 1,024 characters) returns. Whatever does not fit is left out and
named, and the notebooks' status says so (``error:copyback-limit``).

Used on the warm path (copy from the sandbox's work directory) and on the cold path, where the
work directory already is the staged output: there, what does not fit is deleted in place.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.results import Status
from graders.sandbox.workdir import remove_tree

STATUS = "error:copyback-limit"
MIB = 1 << 20  # "MB" as in the other limits (max_file_mb)
MAX_DEPTH, MAX_PATH = 32, 1024  # deeper entries are left out (whole), like those over the caps
_CHUNK = 1 << 20


@dataclass
class CopyBack:
    """What a bounded copy kept, and what it left out (the first few names, with why)."""

    files: int = 0
    bytes: int = 0
    left_out: int = 0
    examples: dict[str, str] = field(default_factory=dict)
    over_limit: bool = False

    def leave_out(self, rel: str, why: str) -> None:
        self.left_out += 1
        if len(self.examples) < 5:
            self.examples[rel] = why

    def summary(self) -> str:
        shown = "; ".join(f"{rel}: {why}" for rel, why in self.examples.items())
        extra = self.left_out - len(self.examples)
        more = f" and {extra} more" if extra else ""
        return f"{self.left_out} entries of the work folder not kept ({shown}{more})"


Visit = Callable[[str, os.stat_result], bool]
Unreadable = Callable[[str, OSError], None]


def _walk(root: Path, first: Sequence[str], visit: Visit, unreadable: Unreadable) -> None:
    """Call ``visit(relative path, lstat)`` on everything below ``root``, the regular files named
    in ``first`` before the rest (sorted, depth-first); never follows a symlink, and enters a
    folder only when ``visit`` returned True for it; a folder that cannot be listed goes to
    ``unreadable``."""
    done = set()
    for name in first:
        try:
            info = os.lstat(root / name)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            done.add(name)
            visit(name, info)
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            names = sorted(os.listdir(root / rel) if rel else os.listdir(root))
        except OSError as exc:
            unreadable(rel, exc)
            continue
        folders = []
        for name in names:
            path = f"{rel}/{name}" if rel else name
            if path in done:
                continue
            try:
                info = os.lstat(root / path)
            except OSError:
                continue
            if visit(path, info) and stat.S_ISDIR(info.st_mode):
                folders.append(path)
        stack.extend(reversed(folders))  # the first folder is entered first


def copy_sparse(src: Path, dest: Path, size: int) -> None:
    """Copy the first ``size`` bytes of ``src`` into a new file ``dest``, holes as holes."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
    fin = os.open(src, flags)
    try:
        if not stat.S_ISREG(os.fstat(fin).st_mode):
            raise OSError(f"{src.name} is not a regular file")
        fout = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            _copy_ranges(fin, fout, size)
        except BaseException:
            os.unlink(dest)  # never a half-copied file
            raise
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _copy_ranges(fin: int, fout: int, size: int) -> None:
    for start, end in _data_ranges(fin, size):
        os.lseek(fin, start, os.SEEK_SET)
        os.lseek(fout, start, os.SEEK_SET)
        left = end - start
        while left > 0:
            chunk = memoryview(os.read(fin, min(_CHUNK, left)))
            if not chunk:
                break
            left -= len(chunk)
            while chunk:
                chunk = chunk[os.write(fout, chunk) :]
    os.ftruncate(fout, size)


def _data_ranges(fd: int, size: int) -> Iterable[tuple[int, int]]:
    """``(start, end)`` of the parts of a file that hold data (the whole file without SEEK_DATA)."""
    if not hasattr(os, "SEEK_DATA"):
        yield 0, size
        return
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole is left
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        if start >= size:
            return
        yield start, end
        offset = end


def _why_not(
    rel: str, info: os.stat_result, back: CopyBack, max_files: int, max_bytes: int
) -> str | None:
    """Why an entry is not kept, or None (and then it is counted)."""
    kind = stat.S_IFMT(info.st_mode)
    if kind not in (stat.S_IFREG, stat.S_IFDIR):
        return "not a regular file or folder"
    if rel.count("/") >= MAX_DEPTH or len(rel) > MAX_PATH:
        back.over_limit = True  # deeper than anyone reads, and past what a path can name
        return f"nested deeper than {MAX_DEPTH} folders or {MAX_PATH} characters"
    if back.files + 1 > max_files:
        back.over_limit = True
        return f"over the {max_files}-file limit"
    size = info.st_size if kind == stat.S_IFREG else 0
    if back.bytes + size > max_bytes:
        back.over_limit = True
        return f"over the {max_bytes / MIB:g} MB limit ({size / MIB:.1f} MB)"
    back.files += 1
    back.bytes += size
    return None


def copy_bounded(
    src: Path, dest: Path, *, max_files: int, max_bytes: int, first: Sequence[str] = ()
) -> CopyBack:
    """Copy ``src`` into the new directory ``dest`` within the caps (``first`` names first)."""
    back = CopyBack()
    dest.mkdir(parents=True)

    def visit(rel: str, info: os.stat_result) -> bool:
        why = _why_not(rel, info, back, max_files, max_bytes)
        try:
            if why is None and stat.S_ISDIR(info.st_mode):
                (dest / rel).mkdir(mode=0o755)
            elif why is None:
                copy_sparse(src / rel, dest / rel, info.st_size)
        except OSError as exc:
            why = f"could not be copied ({exc.strerror or exc})"
        if why is not None:
            back.leave_out(rel, why)
        return why is None

    def unreadable(rel: str, exc: OSError) -> None:
        back.leave_out(rel or ".", f"could not be listed ({exc.strerror or exc})")

    _walk(src, first, visit, unreadable)
    return back


def prune_bounded(
    root: Path, *, max_files: int, max_bytes: int, first: Sequence[str] = ()
) -> CopyBack:
    """Delete from ``root`` what `copy_bounded` would leave out (the cold path's work folder).

    Raises:
        OSError: Something to be left out could not be deleted (nothing of it may stay).
    """
    back = CopyBack()

    def visit(rel: str, info: os.stat_result) -> bool:
        why = _why_not(rel, info, back, max_files, max_bytes)
        if why is None:
            return True
        back.leave_out(rel, why)
        remove_tree(root / rel)  # any depth, never following a link
        return False

    def unreadable(rel: str, exc: OSError) -> None:  # e.g. a folder its owner made 000
        if not rel:
            raise exc
        back.leave_out(rel, f"could not be listed ({exc.strerror or exc})")
        remove_tree(root / rel)

    _walk(root, first, visit, unreadable)
    return back


def return_workdir(
    work: Path, staged: Path, config: Any, notebooks: Iterable[str], result: Any
) -> None:
    """Bring the executed ``work`` folder into ``staged`` within the caps of ``config``.

    ``work == staged`` (a cold sandbox wrote into the staged folder): prune in place. The graded
    notebooks (``notebooks``: names without ``.ipynb``) go first. When something is left out,
    every notebook of ``result`` not already in error gets ``error:copyback-limit`` (a limit hit:
    the score stands), with the reason naming what was left out.
    """
    max_files = int(config.max_copyback_files)
    max_bytes = int(config.max_copyback_mb) << 20
    first = [f"{name}.ipynb" for name in sorted(notebooks)]
    if Path(work) == Path(staged):
        back = prune_bounded(Path(work), max_files=max_files, max_bytes=max_bytes, first=first)
    else:
        back = copy_bounded(
            Path(work), Path(staged), max_files=max_files, max_bytes=max_bytes, first=first
        )
    if not back.left_out:
        return
    for nb in result.notebooks:
        note = back.summary()
        nb.reason = f"{nb.reason}; {note}" if nb.reason else note
        if back.over_limit and not Status.parse(nb.status).is_error:
            nb.status = STATUS
