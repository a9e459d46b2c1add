"""Isolation of the bubblewrap backend: network, files outside the workdir, uid, a usable Python."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graders.sandbox import BubblewrapBackend, Limits, slot_uid

from .sandbox_helpers import SLOT

pytestmark = pytest.mark.sandbox

SECRET = "HIDDEN-TEST-CODE assert answer() == 42"

# Tries to read, write (append or create), stat or list each path given; prints what succeeded.
PROBE_FILES = """
import json, os, sys

def listed(path):
    if os.path.basename(path) not in os.listdir(os.path.dirname(path)):
        raise FileNotFoundError(path)

leaks = []
for path in sys.argv[1:]:
    for what, attempt in [
        ("read", lambda: open(path).read()),
        ("write", lambda: open(path, "a").write("x")),
        ("stat", lambda: os.stat(path)),
        ("list", lambda: listed(path)),
    ]:
        try:
            attempt()
            leaks.append(what + " " + path)
        except OSError:
            pass
print(json.dumps(leaks))
"""


@pytest.fixture
def outside_files(tmp_path: Path) -> Iterator[list[Path]]:
    """A source notebook and a gradebook in a root-only dir and in a world-readable dir."""
    private = tmp_path / "course"  # pytest's tmp dirs are 0700: root-only
    public = Path(tempfile.mkdtemp(prefix="sbx-public-"))
    public.chmod(0o755)
    files = []
    for folder in (private, public):
        folder.mkdir(exist_ok=True)
        for name in ("source_lab01.ipynb", "gradebook.db"):
            (folder / name).write_text(SECRET)
            (folder / name).chmod(0o644)
            files.append(folder / name)
    private.chmod(0o700)
    yield files
    shutil.rmtree(public, ignore_errors=True)


def test_network_is_unreachable(run_py: Callable, sandbox_uid: int) -> None:
    """Does a TCP connect from inside fail, with only a loopback interface present?"""
    code = """
import errno, json, socket
try:
    socket.create_connection(("1.1.1.1", 80), timeout=3)
    result = "connected"
except OSError as exc:
    result = exc.errno
print(json.dumps([result, sorted(n for _, n in socket.if_nameindex())]))
"""
    run = run_py(code)
    result, interfaces = json.loads(run.out)
    assert result == errno.ENETUNREACH, run.err
    assert interfaces == ["lo"]


def test_files_outside_workdir_cannot_be_read_or_written(
    run_py: Callable, sandbox_uid: int, outside_files: list[Path]
) -> None:
    """Can sandboxed code read, write, stat or list a notebook, gradebook or the repo elsewhere?"""
    repo = Path(__file__).resolve().parents[3]
    paths = [*outside_files, repo / "pyproject.toml", repo / "graders" / "__init__.py"]
    before = {path: path.read_bytes() for path in paths}
    run = run_py(PROBE_FILES, None, 30, *map(str, paths))
    assert run.code == 0, run.err
    leaks = json.loads(run.out)
    # A "write" that lands in the sandbox's private /tmp tmpfs (where bwrap creates the parents of
    # its binds when the repo itself lives under /tmp) never reaches the host: judge writes by the
    # host's files, and everything else by what the sandboxed code could see.
    # A file the probe itself created there is then visible to its own stat/list: only a read
    # (tried first) says anything about the host's file.
    created = {leak.split(" ", 1)[1] for leak in leaks if leak.startswith("write ")}
    assert [
        leak for leak in leaks if leak.startswith("read ") or leak.split(" ", 1)[1] not in created
    ] == []
    assert {path: path.read_bytes() for path in paths} == before
    assert all(f.read_text() == SECRET for f in outside_files)


def test_world_readable_file_is_hidden_by_the_sandbox_not_by_permissions(
    root_only: None, sandbox_uid: int, outside_files: list[Path]
) -> None:
    """Is the world-readable file really readable by the slot uid outside bwrap (test premise)?"""
    public = [f for f in outside_files if f.parent.name.startswith("sbx-public-")]
    cmd = ["setpriv", f"--reuid={sandbox_uid}", f"--regid={sandbox_uid}", "--clear-groups"]
    seen = subprocess.run([*cmd, "cat", str(public[0])], capture_output=True, text=True)
    assert seen.stdout == SECRET, (
        seen.stderr
    )  # so the previous test's refusal comes from the sandbox


def test_workdir_is_writable_and_given_back(run_py: Callable, sandbox_uid: int) -> None:
    """Can code write its workdir, and does the trusted side own the results afterwards?"""
    run = run_py("open('result.json', 'w').write('[1, 2]'); import os; print(os.getcwd())")
    assert run.code == 0, run.err
    result = Path(run.out.strip()) / "result.json"
    assert result.read_text() == "[1, 2]"
    assert result.stat().st_uid == os.geteuid()
    assert result.parent.stat().st_uid == os.geteuid()


def test_runs_as_the_unprivileged_slot_uid(
    root_only: None, run_py: Callable, sandbox_uid: int
) -> None:
    """Does root's grading run student code as the slot's uid, without groups?"""
    run = run_py("import os, json; print(json.dumps([os.getuid(), os.geteuid(), os.getgroups()]))")
    assert json.loads(run.out) == [sandbox_uid, sandbox_uid, []]


def test_a_python_kernel_can_run(
    run_py: Callable, bwrap: BubblewrapBackend, tmp_path: Path
) -> None:
    """Do `python -c` with numpy and `python -m` of a module installed in the venv work inside?"""
    run = run_py("import numpy, sys; print(numpy.arange(4).sum(), sys.prefix)")
    assert run.code == 0, run.err
    assert run.out.split() == ["6", sys.prefix]
    workdir = tmp_path / "work"
    argv = [sys.executable, "-m", "pip", "--version"]
    with bwrap.spawn(argv, workdir=workdir, limits=Limits(wall_time_s=30), slot=SLOT) as proc:
        out = proc.stdout.read().decode()
        assert proc.wait(30) == 0, proc.read_stderr()
    assert sys.prefix in out


def test_the_host_sees_no_sandbox_mounts(bwrap: BubblewrapBackend, tmp_path: Path) -> None:
    """While a sandbox runs, is the host's mount table free of its private stage mounts?"""
    argv = [sys.executable, "-c", "print('up', flush=True); import time; time.sleep(30)"]
    with bwrap.spawn(argv, workdir=tmp_path, limits=Limits(wall_time_s=30), slot=SLOT) as proc:
        assert proc.stdout.readline() == b"up\n"
        assert "mlops-sbx-" not in Path("/proc/self/mountinfo").read_text()
        assert "mlops-sbx-" not in Path("/proc/1/mountinfo").read_text()


def test_host_processes_are_invisible_and_unsignalable(run_py: Callable, sandbox_uid: int) -> None:
    """Can sandboxed code see the host's processes in /proc or signal the grading process?"""
    code = f"""
import json, os
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
try:
    os.kill({os.getpid()}, 0)
    signalled = True
except OSError:
    signalled = False
print(json.dumps([pids, os.getpid(), signalled]))
"""
    pids, own, signalled = json.loads(run_py(code).out)
    assert len(pids) <= 3 and own <= 3  # bwrap's init, the command: a fresh PID namespace
    assert not signalled


def test_no_stage_is_left_behind(run_py: Callable, sandbox_uid: int) -> None:
    """After a run, is the private mount stage removed from the host's temp dir?"""
    before = set(Path(tempfile.gettempdir()).glob("mlops-sbx-*"))
    assert run_py("print('ok')").out.strip() == "ok"
    assert set(Path(tempfile.gettempdir()).glob("mlops-sbx-*")) <= before


def test_only_workdir_and_tmp_are_writable(run_py: Callable, sandbox_uid: int) -> None:
    """Is every path but the workdir and the capped tmpfs read-only (root, /dev, the venv)?"""
    code = f"""
import json, os
ok = []
for d in ["/", "/etc", "/usr", "/work", {sys.prefix!r}, {sys.base_prefix!r}, "/root", "/dev"]:
    try:
        open(os.path.join(d, "planted.txt"), "w").close()
        ok.append(d)
    except OSError:
        pass
print(json.dumps(ok))
"""
    assert json.loads(run_py(code).out) == []


def test_root_only_paths_are_reachable_after_the_uid_drop(
    root_only: None, bwrap: BubblewrapBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the workdir, TMPDIR and a read-only extra under 0700 dirs, does a sandbox still run?

    (A CI clone under /root: the slot uid cannot traverse there; the private stage must.)
    """
    private = tmp_path / "root-only"
    (private / "work").mkdir(parents=True)
    (private / "tmp").mkdir()
    (private / "extra").mkdir()
    (private / "extra" / "helper.py").write_text("VALUE = 42\n")
    private.chmod(0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(private / "tmp"))
    argv = [sys.executable, "-c", "import helper; open('out.txt', 'w').write(str(helper.VALUE))"]
    env = {"PYTHONPATH": str(private / "extra")}
    with bwrap.spawn(
        argv, workdir=private / "work", env=env, slot=SLOT, ro_paths=[private / "extra"]
    ) as proc:
        assert proc.wait(30) == 0, proc.read_stderr()
    assert (private / "work" / "out.txt").read_text() == "42"


def test_slot_uid_base_can_be_moved(root_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does MLOPS_GRADE_SLOT_UID_BASE move the slot uids (two graders on one host)?"""
    monkeypatch.setenv("MLOPS_GRADE_SLOT_UID_BASE", "64000")
    assert slot_uid(3) == 64003
    monkeypatch.setenv("MLOPS_GRADE_SLOT_UID_BASE", "0")
    with pytest.raises(ValueError, match="SLOT_UID_BASE"):
        slot_uid(3)


def test_a_uid_held_by_another_grader_is_not_shared(
    root_only: None, bwrap: BubblewrapBackend, tmp_path: Path
) -> None:
    """If another grader on this host holds the slot's uid, does the sandbox take the next one?"""
    from graders.sandbox.uids import claim_uid, release

    slot = SLOT + 3
    held_uid, held = claim_uid(slot)  # "another grader" holds the slot's own uid
    try:
        assert held is not None and held_uid == slot_uid(slot)
        code = "import os; print(os.getuid())"
        with bwrap.spawn([sys.executable, "-c", code], workdir=tmp_path, slot=slot) as proc:
            inside = int(proc.stdout.read())
            proc.wait(30)
        assert inside == proc.uid == slot_uid(slot) + 1000
    finally:
        release(held)
    again, lock = claim_uid(slot)
    release(lock)
    assert again == slot_uid(slot)  # released by both


def test_uid_claim_falls_back_when_no_lock_can_be_made() -> None:
    """Without a writable lock dir, is the slot's own uid used (no lock, no failure)?"""
    from graders.sandbox.uids import claim_uid

    assert claim_uid(5, lock_dir="/proc/no-such-dir") == (slot_uid(5), None)
