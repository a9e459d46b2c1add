"""bwrap's info pipe is closed once: a descriptor number reused meanwhile stays open."""

from __future__ import annotations

import os
from pathlib import Path

from graders.sandbox.info import InitInfo


def test_closing_the_info_pipe_leaves_a_reused_descriptor_alone(tmp_path: Path) -> None:
    """Does closing InitInfo spare a file (the gradebook's WAL, say) that reused the pipe's number?

    Closing the write end a second time closed whatever reused its number: the gradebook then
    failed with "disk I/O error" after a warm sandbox was closed mid-run.
    """
    info = InitInfo()
    number = info.write_fd
    info.started()  # our copy of the write end is closed here
    path = tmp_path / "gradebook.sqlite-wal"
    path.write_text("")
    fd = os.open(path, os.O_RDONLY)
    if fd != number:  # make the freed number name another open file
        os.dup2(fd, number)
        os.close(fd)
    info.close()
    try:
        os.fstat(number)  # EBADF if close() closed it
    finally:
        os.close(number)
