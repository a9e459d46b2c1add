"""Hand a work directory to the slot uid and back, and empty it, without following student
symlinks and whatever the student built there (a tree thousands of folders deep, folders
without permissions).

Neither function recurses or builds long paths: a chain of 3,000 nested folders made Python's
recursive walkers raise RecursionError, and a warm sandbox's work folder that can never be
emptied again would fail every later student of that worker.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def chown_tree(root: Path, uid: int, gid: int) -> None:
    """`chown -R --no-dereference` of `root`; entries that vanish meanwhile are skipped, and so
    are entries too deep to name (a student's own folders stay the student's)."""
    try:
        os.chown(root, uid, gid, follow_symlinks=False)
    except FileNotFoundError:
        return
    stack = [str(root)]
    while stack:
        here = stack.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:  # vanished, or a path past PATH_MAX
            continue
        for entry in entries:
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                try:
                    os.chown(entry.path, uid, gid, follow_symlinks=False)
                except OSError as exc:
                    if exc.errno != errno.ENAMETOOLONG:
                        raise
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)


def remove_tree(path: Path) -> None:
    """Delete ``path`` and everything below it, however deep; never follows a symlink.

    Each folder's sub-folders are first renamed up next to ``path`` (so no path grows past two
    components and two descriptors are open at most), its files unlinked, then the folder
    removed. Not as root, the folders get back the permissions the student's chmod took.

    Raises:
        OSError: Something could not be removed.
    """
    path = Path(path)
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        os.unlink(path)
        return
    unlock = os.geteuid() != 0
    parent = os.open(path.parent, _DIR)
    token = secrets.token_hex(6)  # names of moved folders: never one the student chose
    try:
        pending, made = [path.name], 0
        while pending:
            name = pending.pop()
            if unlock:
                os.chmod(name, 0o700, dir_fd=parent)
            here = os.open(name, _DIR, dir_fd=parent)
            try:
                for entry in list(os.scandir(here)):
                    if not entry.is_dir(follow_symlinks=False):
                        os.unlink(entry.name, dir_fd=here)
                        continue
                    if unlock:
                        os.chmod(entry.name, 0o700, dir_fd=here)  # rename needs it writable
                    made += 1
                    moved = f".rm-{token}-{made}"
                    os.rename(entry.name, moved, src_dir_fd=here, dst_dir_fd=parent)
                    pending.append(moved)
            finally:
                os.close(here)
            os.rmdir(name, dir_fd=parent)
    finally:
        os.close(parent)


def empty_dir(path: Path) -> None:
    """Remove everything inside ``path`` (see `remove_tree`), keep ``path``.

    Raises:
        OSError: Something stayed (the next user of the folder must never see it).
    """
    for entry in list(os.scandir(path)):
        with contextlib.suppress(FileNotFoundError):
            remove_tree(Path(entry.path))
    left = os.listdir(path)
    if left:
        raise OSError(f"{path} could not be emptied: {left[:3]}")
