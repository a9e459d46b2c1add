"""Limits of the bubblewrap backend: fork storm, memory, wall time, output, file size, escapes."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from graders.sandbox import BubblewrapBackend, Limits, slot_uid

from .sandbox_helpers import SLOT, processes_of, wait_no_processes

pytestmark = pytest.mark.sandbox

FORK_STORM = """
import os, sys, time
started = 0
for _ in range(500):
    try:
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
        started += 1
    except OSError:
        break
print(started, flush=True)
time.sleep(120)
"""

ESCAPE = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        print(os.getpid(), flush=True)
        sys.stdout.close()
        time.sleep(300)
    os._exit(0)
os.wait()
time.sleep(float(sys.argv[1]))
"""


def test_fork_storm_is_contained_and_killed(
    root_only: None, bwrap: BubblewrapBackend, sandbox_uid: int, tmp_path: Path
) -> None:
    """Does RLIMIT_NPROC stop a fork storm, and does kill() return only once all of it is gone?"""
    slot = SLOT + 1  # a fresh uid: no zombie of an earlier test to tell apart
    uid = slot_uid(slot)
    limits = Limits(max_procs=24, wall_time_s=30)
    argv = [sys.executable, "-c", FORK_STORM]
    with bwrap.spawn(argv, workdir=tmp_path, limits=limits, slot=slot) as proc:
        started = int(proc.stdout.readline())
        alive = len(processes_of(uid))
        proc.kill()
        left = processes_of(uid, zombies=True)  # right after kill(), not eventually
    assert 0 < started < limits.max_procs
    assert alive <= limits.max_procs
    assert left == [], "kill() returned while the sandbox's processes still existed"
    # The slot is usable again at once: nothing of the storm counts against RLIMIT_NPROC.
    again = [sys.executable, "-c", "print('again')"]
    with bwrap.spawn(again, workdir=tmp_path, limits=limits, slot=slot) as proc:
        assert proc.stdout.read() == b"again\n", proc.read_stderr()


def test_a_4gb_allocation_fails_with_memory_error(run_py: Callable, sandbox_uid: int) -> None:
    """Does allocating 4 GB raise MemoryError under the default 2 GB address-space limit?"""
    run = run_py(
        "try:\n    b = bytearray(4 << 30)\n    print('allocated')\nexcept MemoryError:\n"
        "    print('MemoryError')"
    )
    assert run.out.strip() == "MemoryError", run.err
    assert run.code == 0


def test_an_infinite_loop_is_killed_at_wall_time(run_py: Callable, sandbox_uid: int) -> None:
    """Is a busy loop killed after `wall_time_s`, and is the kill reported as a timeout?"""
    run = run_py("while True: pass", Limits(wall_time_s=1.5))
    assert run.code != 0
    assert run.proc.timed_out
    assert 1.4 < run.elapsed < 30  # never before its limit; the upper bound only catches a hang


def test_100mb_of_output_is_capped(run_py: Callable, sandbox_uid: int) -> None:
    """Is 100 MB written to stderr capped to `max_output_bytes` without blocking the process?"""
    code = "import sys\nfor _ in range(100):\n    sys.stderr.write('x' * (1 << 20))\nprint('done')"
    run = run_py(code, Limits(max_output_bytes=64 << 10, wall_time_s=30))
    assert run.out.strip() == "done"
    assert run.code == 0
    assert len(run.err) == 64 << 10
    assert run.proc.stderr_truncated


def test_a_1gb_file_is_stopped_by_the_file_size_limit(run_py: Callable, sandbox_uid: int) -> None:
    """Is writing 1 GB to the workdir, /tmp or /dev/shm stopped at `max_file_mb`?"""
    code = """
import errno, json, os
result = {}
for path in ("big.bin", "/tmp/big.bin", "/dev/shm/big.bin"):
    try:
        with open(path, "wb") as f:
            for _ in range(1024):
                f.write(b"\\0" * (1 << 20))
        result[path] = "written"
    except OSError as exc:
        result[path] = errno.errorcode[exc.errno]
    result[path + " MB"] = os.path.getsize(path) >> 20
    os.remove(path)
print(json.dumps(result))
"""
    run = run_py(code, Limits(max_file_mb=20, wall_time_s=30))
    result = json.loads(run.out)
    assert result["big.bin"] == "EFBIG" and result["big.bin MB"] <= 20
    for tmpfs in ("/tmp/big.bin", "/dev/shm/big.bin"):  # RAM-backed: capped, not only per file
        assert result[tmpfs] in {"EFBIG", "ENOSPC"} and result[tmpfs + " MB"] <= 20


@pytest.mark.parametrize("main_lives", [True, False], ids=["killed", "main-exits"])
def test_a_setsid_double_fork_does_not_outlive_the_run(
    bwrap: BubblewrapBackend, sandbox_uid: int, tmp_path: Path, main_lives: bool
) -> None:
    """Does a setsid'd grandchild die with the sandbox, whether killed or the main process exits?"""
    argv = [sys.executable, "-c", ESCAPE, "60" if main_lives else "0"]
    with bwrap.spawn(argv, workdir=tmp_path, limits=Limits(wall_time_s=60), slot=SLOT) as proc:
        assert proc.stdout.readline().strip().isdigit()
        if main_lives:
            time.sleep(0.2)
            proc.kill()
        else:
            assert proc.wait(10) == 0
    assert wait_no_processes(sandbox_uid) == []


MEMORY_SPREAD = """
import os, time
kids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = b"x" * (200 << 20)  # touched pages, under the per-process RLIMIT_AS
            time.sleep(2)
            os._exit(0)
        except MemoryError:
            os._exit(3)
    kids.append(pid)
print(sorted(os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) for k in kids))
"""


def test_memory_spread_over_processes_is_capped_by_the_cgroup(
    root_only: None, bwrap: BubblewrapBackend, sandbox_uid: int, tmp_path: Path
) -> None:
    """When cgroups are writable, do 4 x 200 MB in 4 processes exceed a 512 MB sandbox cap?"""
    limits = Limits(memory_mb=512, wall_time_s=30)
    argv = [sys.executable, "-c", MEMORY_SPREAD]
    with bwrap.spawn(argv, workdir=tmp_path, limits=limits, slot=SLOT) as proc:
        out = proc.stdout.read().decode()
        proc.wait(30)
        if "memory" not in proc.cgroup and "v2" not in proc.cgroup:
            pytest.skip("no writable memory cgroup here: only per-process RLIMIT_AS applies")
    codes = json.loads(out)
    assert codes != [0, 0, 0, 0], "all four 200 MB children fitted in a 512 MB sandbox"


GRADER = """
import sys, time
from pathlib import Path
from graders.sandbox import BubblewrapBackend, Limits
workdir, code, slot = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
argv = [sys.executable, "-c", code, "600"]
proc = BubblewrapBackend().spawn(argv, workdir=workdir, limits=Limits(), slot=slot)
print(proc.stdout.readline().decode().strip(), flush=True)
time.sleep(600)
"""


def test_sandbox_dies_with_a_killed_grader(
    root_only: None, bwrap: BubblewrapBackend, tmp_path: Path
) -> None:
    """If the grading process is killed -9, does its sandbox (setsid escapes too) die with it?"""
    import subprocess

    slot = SLOT + 2
    grader = subprocess.Popen(
        [sys.executable, "-c", GRADER, str(tmp_path), ESCAPE, str(slot)],
        stdout=subprocess.PIPE,
    )
    try:
        assert grader.stdout is not None
        assert grader.stdout.readline().strip().isdigit()  # the setsid grandchild runs
        assert processes_of(slot_uid(slot))
    finally:
        grader.kill()
        grader.wait(10)
    assert wait_no_processes(slot_uid(slot)) == []
