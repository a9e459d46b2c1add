"""Bounded copy-back: what returns from a sandbox's work folder is capped, sparse stays sparse,
and nothing but regular files and folders ever comes back."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from graders.results import NotebookResult, SubmissionResult
from graders.sandbox.copyback import (
    STATUS,
    copy_bounded,
    copy_sparse,
    prune_bounded,
    return_workdir,
)

MB = 1 << 20


def allocated(root: Path) -> int:
    """Bytes the files below ``root`` take on disk (not their apparent size)."""
    return sum(p.lstat().st_blocks * 512 for p in root.rglob("*") if p.is_file())


def sparse(path: Path, size: int, data: bytes = b"data") -> None:
    with path.open("wb") as f:
        f.write(data)
        f.truncate(size)


def test_thirty_sparse_files_never_become_gigabytes(tmp_path: Path) -> None:
    """Do 30 sparse 99 MB files (3 GB apparent) come back within the cap, as sparse files?"""
    work, dest = tmp_path / "work", tmp_path / "dest"
    work.mkdir()
    (work / "lab01.ipynb").write_text("{}")
    for i in range(30):
        sparse(work / f"s{i:02}.bin", 99 * MB)
    back = copy_bounded(work, dest, max_files=2000, max_bytes=100 * MB, first=["lab01.ipynb"])
    kept = sorted(p.name for p in dest.iterdir())
    assert kept == ["lab01.ipynb", "s00.bin"]  # the notebook first, then what fits
    assert back.over_limit and back.left_out == 29 and "100 MB limit" in back.summary()
    assert allocated(dest) < MB  # holes stayed holes
    copied = dest / "s00.bin"
    assert copied.stat().st_size == 99 * MB
    with copied.open("rb") as f:
        assert f.read(4) == b"data"


def test_sparse_copy_keeps_data_after_a_hole(tmp_path: Path) -> None:
    """Is data behind a hole copied at its offset, with the hole left unallocated?"""
    src = tmp_path / "src"
    with src.open("wb") as f:
        f.write(b"head")
        f.seek(50 * MB)
        f.write(b"tail")
    copy_sparse(src, tmp_path / "dst", src.stat().st_size)
    data = (tmp_path / "dst").read_bytes()
    assert data == src.read_bytes()
    assert (tmp_path / "dst").stat().st_blocks * 512 < MB


def test_file_count_cap_keeps_the_notebook_first(tmp_path: Path) -> None:
    """With 5,000 small files, are the notebook and exactly `max_files` entries kept?"""
    work, dest = tmp_path / "work", tmp_path / "dest"
    (work / "many").mkdir(parents=True)
    for i in range(5000):
        (work / "many" / f"f{i:04}").write_text("x")
    (work / "zz.ipynb").write_text("{}")
    back = copy_bounded(work, dest, max_files=100, max_bytes=100 * MB, first=["zz.ipynb"])
    entries = list(dest.rglob("*"))
    assert len(entries) == 100 and (dest / "zz.ipynb").is_file()
    assert back.over_limit and back.left_out == 5000 - 98  # files of `many/` that did not fit
    assert "over the 100-file limit" in back.summary()


def test_links_fifos_and_sockets_are_never_followed_or_copied(tmp_path: Path) -> None:
    """Do a symlink to a host file, a FIFO (which would block a reader) and a socket stay
    behind, named, without counting as a limit hit?"""
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    work, dest = tmp_path / "work", tmp_path / "dest"
    (work / "sub").mkdir(parents=True)
    (work / "link").symlink_to(secret)
    (work / "dirlink").symlink_to(tmp_path)
    os.mkfifo(work / "fifo")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(work / "sub" / "sock"))
        back = copy_bounded(work, dest, max_files=2000, max_bytes=MB)
    assert sorted(p.name for p in dest.rglob("*")) == ["sub"]
    assert not back.over_limit and back.left_out == 4
    assert set(back.examples.values()) == {"not a regular file or folder"}


def test_prune_in_place_leaves_what_a_copy_would_keep(tmp_path: Path) -> None:
    """After a cold sandbox, is the staged folder cut down to the same caps in place?"""
    work = tmp_path / "work"
    (work / "deep").mkdir(parents=True)
    (work / "lab01.ipynb").write_text("{}")
    for i in range(10):
        sparse(work / "deep" / f"s{i}.bin", 60 * MB)
    (work / "link").symlink_to("/etc/passwd")
    back = prune_bounded(work, max_files=2000, max_bytes=100 * MB, first=["lab01.ipynb"])
    names = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    assert names == ["deep", "deep/s0.bin", "lab01.ipynb"]
    assert back.over_limit and back.left_out == 10  # nine files and the link


@pytest.mark.parametrize("cold", [False, True])
def test_over_the_limit_is_a_status_and_errors_stay(tmp_path: Path, cold: bool) -> None:
    """Does an over-limit copy mark graded notebooks `error:copyback-limit` (score kept) and
    leave a notebook that is already in error as it was?"""
    work = tmp_path / "work"
    work.mkdir()
    for i in range(3):
        (work / f"f{i}").write_text("x")
    staged = work if cold else tmp_path / "staged"
    result = SubmissionResult(
        "s",
        "lab",
        [NotebookResult("a"), NotebookResult("b", "error:timeout", reason="ran out of time")],
    )
    config = SimpleNamespace(max_copyback_files=2, max_copyback_mb=1)
    return_workdir(work, staged, config, ["a", "b"], result)
    assert [nb.status for nb in result.notebooks] == [STATUS, "error:timeout"]
    assert result.status == "error:timeout"  # the more serious status still wins
    assert "1 entries of the work folder not kept" in result.notebooks[0].reason
    assert result.notebooks[1].reason.startswith("ran out of time; ")
    assert len(list(staged.iterdir())) == 2


SPARSE_FLOOD = (
    "for i in range(30):\n"
    "    with open(f'sparse{i:02}.bin', 'wb') as f:\n"
    "        f.write(b'x')\n"
    "        f.truncate(99 << 20)\n"
    "def circle_area(r):\n    return math.pi * r**2"
)


@pytest.mark.sandbox
@pytest.mark.parametrize("warm", [True, False])
def test_a_graded_sparse_flood_lands_bounded_in_autograded(
    sample_course: Path, submit: Any, isolating_backend: Any, warm: bool
) -> None:
    """Do 30 sparse files written in the sandbox (warm or cold) cost autograded/ at most the cap,
    with the status saying so and the score kept?"""
    from graders.autograde import grade_folder
    from graders.config import GradeConfig
    from graders.sessions import close_worker

    path = submit("flood", {"circle_area_answer": SPARSE_FLOOD})
    out = sample_course / "autograded" / "flood" / "lab01"
    try:
        result = grade_folder(
            course_dir=sample_course, lab="lab01", folder=path.parent, output_dir=out,
            config=GradeConfig(cell_timeout_s=20, warm=warm), backend=isolating_backend,
        )  # fmt: skip
    finally:
        close_worker()
    assert (result.status, result.total) == (STATUS, 8.0), [nb.reason for nb in result.notebooks]
    assert "29 entries of the work folder not kept" in result.notebooks[0].reason
    assert (out / "lab01.ipynb").is_file()
    apparent = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert apparent <= 100 * MB and allocated(out) < 5 * MB


def test_what_hides_below_the_depth_limit_never_stays(tmp_path: Path) -> None:
    """Is a file 100 folders down (past anything a reader walks) left out and deleted in place,
    counting as a limit hit?"""
    work = tmp_path / "work"
    bottom = work / Path(*["d"] * 100)
    bottom.mkdir(parents=True)
    sparse(bottom / "hidden.bin", 10 * MB)
    back = prune_bounded(work, max_files=2000, max_bytes=100 * MB)
    assert back.over_limit and "nested deeper than 32 folders" in back.summary()
    assert not list(work.rglob("hidden.bin"))
    assert max(len(p.relative_to(work).parts) for p in work.rglob("*")) == 32
