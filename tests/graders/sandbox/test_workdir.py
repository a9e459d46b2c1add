"""Work folders handed over, back and emptied, whatever a student built in them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.session import DRIVER_PATHS, PACKAGE
from graders.sandbox import Limits
from graders.sandbox.workdir import chown_tree, empty_dir, remove_tree


def deep_chain(top: Path, depth: int) -> None:
    """``top/d/d/.../d`` ``depth`` folders deep (past PATH_MAX and Python's recursion limit),
    built with relative steps as a student's code can."""
    here = os.getcwd()
    top.mkdir(parents=True, exist_ok=True)
    os.chdir(top)
    try:
        for i in range(depth):
            os.mkdir("d")
            os.chdir("d")
            if i % 500 == 0:
                Path("f.txt").write_text("x")
    finally:
        os.chdir(here)


def test_a_chain_deeper_than_path_max_is_removed(tmp_path: Path) -> None:
    """Is a 3,000-deep chain of folders removed, with no RecursionError, and is a symlink's
    target outside left alone?"""
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    work = tmp_path / "work"
    deep_chain(work / "deep", 3000)
    (work / "deep" / "link").symlink_to(outside)
    (work / "dirlink").symlink_to(tmp_path)
    empty_dir(work)
    assert os.listdir(work) == [] and outside.read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == ["outside.txt", "work"]


def test_chown_tree_survives_a_chain_deeper_than_path_max(tmp_path: Path) -> None:
    """Does handing back a folder with a 3,000-deep chain finish (what it can name is chowned)?"""
    deep_chain(tmp_path / "deep", 3000)
    (tmp_path / "top.txt").write_text("x")
    uid, gid = os.getuid(), os.getgid()
    chown_tree(tmp_path, uid, gid)
    assert (tmp_path / "top.txt").stat().st_uid == uid
    remove_tree(tmp_path / "deep")


EMPTY_AS_OWNER = r"""
import os
from pathlib import Path
from graders.sandbox.workdir import empty_dir
work = Path("scratch")
for d in ("a/b/c", "x"):
    (work / d).mkdir(parents=True)
    (work / d / "f").write_text("x")
os.chmod(work / "a" / "b" / "c", 0)
os.chmod(work / "a" / "b", 0)
os.chmod(work / "a", 0o500)
os.chmod(work / "x" / "f", 0)
os.chmod(work / "x", 0)
empty_dir(work)
print(os.listdir(work))
"""


@pytest.mark.sandbox
def test_folders_a_student_locked_are_emptied_by_the_same_uid(bwrap: Any, tmp_path: Path) -> None:
    """Run as the student's uid (a grader that is not root): are folders the student chmodded
    to 000 or 0500 emptied all the same?"""
    proc = bwrap.spawn(
        [sys.executable, "-c", EMPTY_AS_OWNER],
        workdir=tmp_path,
        limits=Limits(wall_time_s=60),
        ro_paths=[*DRIVER_PATHS, PACKAGE / "sandbox"],
    )
    with proc:
        out = proc.stdout.read().decode()
        proc.wait(60)
    assert proc.returncode == 0, proc.read_stderr().decode()[-2000:]
    assert out.strip() == "[]"
