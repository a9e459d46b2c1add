"""Warm sandboxes: one per worker, a fresh forked driver per notebook, nothing carried between
students (files, processes, the zygote's memory), and the same scores as a cold sandbox each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.autograde import grade_folder
from graders.config import GradeConfig
from graders.kernel.warm import WarmSandbox, lab_imports
from graders.sessions import close_worker, this_worker

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

WARM, COLD = GradeConfig(cell_timeout_s=20), GradeConfig(cell_timeout_s=20, warm=False)
PI = "def circle_area(r):\n    return math.pi * r**2"
# Student A leaves files in the work directory and in /tmp, and a process that outlives it.
LEAVE_FILES = (
    "import pathlib\npathlib.Path('left_by_a.txt').write_text('a')\n"
    "pathlib.Path('/tmp/left_by_a').write_text('a')\n" + PI
)
LEAVE_PROCESS = (
    "import subprocess, sys\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],"
    " start_new_session=True)\n" + PI
)
# A process that waits for A's driver to end, then writes a stray line into every pipe it can
# write (the protocol pipe among them) and exits at once: aimed at the next student's client.
STRAY_LINE = (
    "import os, time\n"
    "if os.fork() == 0:\n"
    "    parent = os.getppid()\n"
    "    while os.getppid() == parent:\n"
    "        time.sleep(0.005)\n"
    "    for fd in map(int, os.listdir('/proc/self/fd')):\n"
    "        try:\n"
    "            flags = int(open(f'/proc/self/fdinfo/{fd}').read().split()[3], 8)\n"
    "            if flags & 3 == 1 and os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):\n"
    '                os.write(fd, b\'{"id": "x", "ok": true}\\n\')\n'
    "        except OSError:\n"
    "            pass\n"
    "    os._exit(0)\n" + PI
)
# Student B answers right only when it finds nothing of A.
SEES_NOTHING = (
    "import os\nSEEN = os.path.exists('left_by_a.txt') or os.path.exists('/tmp/left_by_a')\n"
    "def circle_area(r):\n    return 0.0 if SEEN else math.pi * r**2"
)
# Student A locks the scratch mounts: chmod 0555 of /tmp and /dev/shm, directories and files
# without any permission, a tree deeper than the open-file limit, an extended attribute on the
# mount, a SysV shared-memory segment, /dev/shm filled with 50 MB.
LOCK_SCRATCH = (
    "import ctypes, os, pathlib\n"
    "for d in ('/tmp', '/dev/shm'):\n"
    "    p = pathlib.Path(d)\n"
    "    (p / 'left_by_a').write_text('a')\n"
    "    (p / 'locked' / 'deeper').mkdir(parents=True)\n"
    "    (p / 'locked' / 'deeper' / 'x').write_text('a')\n"
    "    (p / 'nest' / '/'.join(['n'] * 300)).mkdir(parents=True)\n"
    "    os.chmod(p / 'locked' / 'deeper', 0)\n"
    "    os.chmod(p / 'locked', 0)\n"
    "    os.setxattr(d, 'user.left_by_a', b'a')\n"
    "pathlib.Path('/dev/shm/fill').write_bytes(b'x' * (50 << 20))\n"
    "os.chmod('/tmp', 0o555)\n"
    "os.chmod('/dev/shm', 0o555)\n"
    "ctypes.CDLL(None).shmget(0x5EED, 4096, 0o1600)\n" + PI
)
# Student B answers right only when both mounts are empty, writable and carry nothing of A.
# A fresh /tmp is empty but for the folders bubblewrap made as mount points: when the course
# lives under /tmp (a CI clone in /tmp/ci_x), its read-only venv and code mounts sit in /tmp/ci_x.
SCRATCH_IS_NEW = (
    "import ctypes, json, os\n"
    "SEEN = {}\n"
    "def _mount_roots(d):\n"
    "    points = [line.split()[4] for line in open('/proc/self/mountinfo')]\n"
    "    return {p[len(d) + 1:].split('/')[0] for p in points if p.startswith(d + '/')}\n"
    "def _fresh(d):\n"
    "    try:\n"
    "        open(os.path.join(d, 'b.txt'), 'w').write('b')\n"
    "        os.unlink(os.path.join(d, 'b.txt'))\n"
    "    except OSError as exc:\n"
    "        SEEN[d + ' write'] = repr(exc)\n"
    "    left = sorted(set(os.listdir(d)) - _mount_roots(d))\n"
    "    SEEN[d] = [left[:20], os.listxattr(d), oct(os.stat(d).st_mode)]\n"
    "    return d + ' write' not in SEEN and left == [] and os.listxattr(d) == []\n"
    "SHM = ctypes.CDLL(None).shmget(0x5EED, 1, 0)\n"
    "SEEN['shm'] = SHM\n"
    "FRESH = _fresh('/tmp') and _fresh('/dev/shm') and SHM == -1\n"
    "open('scratch_seen.json', 'w').write(json.dumps(SEEN))  # comes back with the notebook\n"
    "def circle_area(r):\n    return math.pi * r**2 if FRESH else 0.0"
)
# Student A leaves a chain of folders deeper than PATH_MAX and Python's recursion limit in the
# work folder (once enough to make every later student of the worker error:grader-crashed).
DEEP_TREE = (
    "import os\nhome = os.open('.', os.O_RDONLY)\n"
    "for _ in range(3000):\n    os.mkdir('deep')\n    os.chdir('deep')\n"
    "os.fchdir(home)\n" + PI
)
# Student B answers right only when the work folder holds nothing of A.
NO_DEEP_TREE = (
    "import os\nCLEAN = not os.path.exists('deep')\n"
    "def circle_area(r):\n    return math.pi * r**2 if CLEAN else 0.0"
)
# The driver's parent is the zygote: reading its memory would expose the warm sandbox's state.
PEEKS_AT_ZYGOTE = (
    "import os\ntry:\n    open(f'/proc/{os.getppid()}/mem', 'rb').close()\n    PEEK = True\n"
    "except OSError:\n    PEEK = False\n"
    "def circle_area(r):\n    return 0.0 if PEEK else math.pi * r**2"
)


@pytest.fixture(autouse=True)
def fresh_warm() -> Iterator[None]:
    close_worker()
    yield
    close_worker()


def grade(
    course: Path, submit: Callable[..., Path], backend: Any, student: str, answer: str, **kw: Any
) -> Any:
    path = submit(student, {"circle_area_answer": answer})
    return grade_folder(course_dir=course, lab="lab01", folder=path.parent, backend=backend, **kw)


def warm() -> Any:
    sandbox = this_worker().warm_sandbox
    assert sandbox is not None
    return sandbox


def test_one_warm_sandbox_serves_a_run_with_the_cold_scores(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Do consecutive students share one sandbox (one start, one fork each) and score as cold?"""
    answers = {"right": PI, "wrong": "def circle_area(r):\n    return 3.0", "stub": "pass"}
    cold = {
        s: grade(sample_course, submit, isolating_backend, s, a, config=COLD).total
        for s, a in answers.items()
    }
    assert this_worker().warm_sandbox is None  # warm=False never starts one
    hot = {
        s: grade(sample_course, submit, isolating_backend, s, a, config=WARM).total
        for s, a in answers.items()
    }
    assert hot == cold and cold["right"] > cold["wrong"]
    assert (warm().spawned, warm().forks) == (1, 3)
    assert {"math", "numpy", "pandas"} <= warm().loaded  # the lab's imports, once


def test_files_left_by_one_student_are_gone_for_the_next(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Does student B see none of the files student A left in the work dir and in /tmp?"""
    a = grade(sample_course, submit, isolating_backend, "a", LEAVE_FILES, config=WARM)
    b = grade(sample_course, submit, isolating_backend, "b", SEES_NOTHING, config=WARM)
    assert a.total == b.total == 8.0
    assert warm().spawned == 1  # the same sandbox: the files were removed, not the sandbox
    assert (sample_course / "submitted" / "a" / "lab01.autograded" / "left_by_a.txt").exists()


def test_scratch_locked_by_one_student_is_new_again_for_the_next(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """After A chmods /tmp and /dev/shm read-only and fills them, does B (same sandbox) find
    both empty and writable, with nothing of A left?"""
    a = grade(sample_course, submit, isolating_backend, "a", LOCK_SCRATCH, config=WARM)
    b = grade(sample_course, submit, isolating_backend, "b", SCRATCH_IS_NEW, config=WARM)
    assert (a.status, a.total) == ("graded", 8.0), [nb.reason for nb in a.notebooks]
    # What B found, when it did not find the scratch new (the open flake's finding).
    seen = [p.read_text() for p in sample_course.rglob("scratch_seen.json")]
    assert (b.status, b.total) == ("graded", 8.0), ([nb.reason for nb in b.notebooks], seen)
    # Reset, not replaced: the same sandbox served both, and no reset failed.
    assert (warm().spawned, warm().forks, warm().reset_failures) == (1, 2, [])


@pytest.mark.parametrize("config", [WARM, COLD], ids=["warm", "cold"])
def test_a_work_folder_deeper_than_path_max_costs_only_its_author(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any, config: GradeConfig
) -> None:
    """After A leaves 3,000 nested folders in the work folder, is A graded (the copy-back limit
    named) and B graded normally, with nothing of A left?"""
    a = grade(sample_course, submit, isolating_backend, "a", DEEP_TREE, config=config)
    b = grade(sample_course, submit, isolating_backend, "b", NO_DEEP_TREE, config=config)
    assert (a.status, a.total) == ("error:copyback-limit", 8.0), [n.reason for n in a.notebooks]
    assert (b.status, b.total) == ("graded", 8.0), [n.reason for n in b.notebooks]


def test_a_scratch_reset_that_fails_discards_the_sandbox() -> None:
    """Is a sandbox whose zygote reports an incomplete reset never handed to another student?"""
    sandbox = WarmSandbox.__new__(WarmSandbox)
    sandbox.reset_failures = []
    assert sandbox._reset({"op": "exited", "code": 0, "reset": True, "problem": None})
    failed = {"op": "exited", "code": 0, "reset": False, "problem": "/tmp: entries left"}
    assert not sandbox._reset(failed)
    assert not sandbox._reset({"op": "exited", "code": 0})  # an old zygote: no reset reported
    assert sandbox.reset_failures == ["/tmp: entries left", "None"]


def test_a_work_folder_that_cannot_be_emptied_costs_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When emptying the work folder fails, is the error raised and the sandbox given a new,
    empty work folder (so nothing that stayed reaches the next submission)?"""
    from graders.kernel import warm as warm_module
    from graders.sandbox import Limits, workdir

    sandbox = WarmSandbox(object(), limits=Limits())
    old = sandbox.workdir
    (old / "left_by_a.txt").write_text("a")

    def fails(path: Path) -> None:
        raise OSError(f"{path} could not be emptied")

    monkeypatch.setattr(workdir, "empty_dir", fails)
    with pytest.raises(OSError, match="could not be emptied"):
        warm_module.empty_dir(old)
    try:
        assert sandbox.workdir != old and list(sandbox.workdir.iterdir()) == []
        assert not old.exists() and sandbox.proc is None
        assert sandbox.reset_failures == [f"work directory {old} could not be emptied"]
    finally:
        sandbox.close()


def test_a_process_left_behind_costs_the_sandbox_not_the_next_student(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Is a sandbox in which something outlived the notebook discarded before anyone else runs?"""
    a = grade(sample_course, submit, isolating_backend, "a", LEAVE_PROCESS, config=WARM)
    assert warm().proc is None  # killed with everything in it
    b = grade(sample_course, submit, isolating_backend, "b", SEES_NOTHING, config=WARM)
    assert a.total == b.total == 8.0 and warm().spawned == 2
    uid = warm().proc.uid
    close_worker()
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) == uid]
    assert not left, f"processes of the sandbox uid survived: {left}"


def test_bytes_written_after_a_notebook_never_reach_the_next_student(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Is a sandbox with stray bytes on its pipe discarded, so B is graded normally?"""
    a = grade(sample_course, submit, isolating_backend, "a", STRAY_LINE, config=WARM)
    b = grade(sample_course, submit, isolating_backend, "b", SEES_NOTHING, config=WARM)
    assert (a.status, a.total) == ("graded", 8.0)
    assert (b.status, b.total) == ("graded", 8.0) and warm().spawned == 2


def test_the_zygote_memory_is_out_of_the_students_reach(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Does opening the parent's /proc/<pid>/mem fail for the student's process?"""
    result = grade(sample_course, submit, isolating_backend, "peek", PEEKS_AT_ZYGOTE, config=WARM)
    assert result.total == 8.0


def test_lab_imports_are_taken_from_top_level_import_lines() -> None:
    """Which modules does the zygote import for a lab: the instructor's top-level imports only?"""
    sources = [
        "import math\nimport numpy as np, pandas as pd\nfrom sklearn.linear_model import X\n",
        "from . import local\nif True:\n    import json\n",
        "def broken(:\n",
    ]
    assert lab_imports(sources) == ["math", "numpy", "pandas", "sklearn.linear_model"]


def _uid(proc: Path) -> int | None:
    try:
        return proc.stat().st_uid
    except OSError:
        return None
