"""Backend choice: the probe, refusing without isolation, and the honest local backend."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from graders.sandbox import (
    BackendStatus,
    BubblewrapBackend,
    Limits,
    LocalBackend,
    SandboxUnavailable,
    capability,
    select_backend,
)
from graders.sandbox import bubblewrap as bubblewrap_module

UNUSABLE = [
    BackendStatus("bubblewrap", False, "bubblewrap missing: apt-get install bubblewrap", True),
    BackendStatus("local", True, "unsandboxed", False),
]


def test_select_backend_refuses_untrusted_code_without_isolation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an isolating backend, is grading refused with the reason and the way out?"""
    monkeypatch.setattr(capability, "probe", lambda: UNUSABLE)
    with pytest.raises(SandboxUnavailable, match="bubblewrap missing.*--allow-unsandboxed"):
        select_backend()


def test_select_backend_falls_back_to_local_only_when_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With `allow_unsandboxed=True`, is the fallback the local backend, honestly non-isolating?"""
    monkeypatch.setattr(capability, "probe", lambda: UNUSABLE)
    backend = select_backend(allow_unsandboxed=True)
    assert (backend.name, backend.isolating) == ("local", False)


def test_probe_says_why_bubblewrap_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """When bwrap is not installed, does the probe say so and how to fix it?"""
    monkeypatch.setattr(bubblewrap_module.shutil, "which", lambda name: None)
    status = capability._probe_bubblewrap()
    assert not status.usable
    assert status.reason == "bubblewrap missing: apt-get install bubblewrap"


@pytest.mark.sandbox
def test_probe_finds_the_isolating_backend(needs_tool: Any) -> None:
    """Where bwrap works, does the probe report it usable and does select_backend pick it?"""
    status = capability.probe()[0]
    if not status.usable:
        needs_tool("sandbox", f"bubblewrap sandbox unusable: {status.reason}")
    assert status.name == "bubblewrap" and status.isolating
    assert isinstance(select_backend(), BubblewrapBackend)


def test_limits_reject_nonsense() -> None:
    """Is a zero or negative limit rejected with the field's name?"""
    with pytest.raises(ValueError, match="wall_time_s"):
        Limits(wall_time_s=0)


def _live_members(pgid: int) -> list[int]:
    """Pids of live (non-zombie) processes in process group `pgid`."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def test_local_backend_runs_and_kills_its_process_group(tmp_path: Path) -> None:
    """Does the local backend run code in its workdir, enforce wall time and kill its children?"""
    code = "import os, time\nif os.fork() == 0:\n    time.sleep(60)\n"
    code += "print(os.getcwd(), flush=True)\ntime.sleep(60)"
    backend = LocalBackend()
    assert backend.isolating is False
    start = time.monotonic()
    with backend.spawn(
        [sys.executable, "-c", code], workdir=tmp_path, limits=Limits(wall_time_s=1)
    ) as proc:
        assert proc.stdout.readline().decode().strip() == str(tmp_path)
        pgid = os.getpgid(proc.pid)
        assert proc.wait(10) < 0 and proc.timed_out
    assert time.monotonic() - start < 30  # killed at 1 s, not left to sleep 60 s (load-proof)
    deadline = time.monotonic() + 3  # SIGKILL is delivered asynchronously
    while _live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_members(pgid) == []


def test_local_backend_does_not_isolate(tmp_path: Path) -> None:
    """Is the local backend's `isolating=False` the truth (it can read files outside)?"""
    outside = tmp_path / "secret.txt"
    outside.write_text("visible")
    workdir = tmp_path / "work"
    workdir.mkdir()
    argv = [sys.executable, "-c", f"print(open({str(outside)!r}).read())"]
    with LocalBackend().spawn(argv, workdir=workdir) as proc:
        assert proc.stdout.read().strip() == b"visible"


def test_process_limit_leaves_room_for_a_non_root_callers_own_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """For a non-root grader running 300 processes, may the sandbox still start 64 more?"""
    from graders.sandbox import limits as limits_module

    applied: dict[int, tuple[int, int]] = {}
    monkeypatch.setattr(limits_module.os, "getuid", lambda: 1000)
    monkeypatch.setattr(limits_module, "processes_of_current_user", lambda: 300)
    monkeypatch.setattr(limits_module.resource, "setrlimit", lambda r, v: applied.update({r: v}))
    limits_module.rlimit_setter(Limits(max_procs=64))()
    assert applied[limits_module.resource.RLIMIT_NPROC] == (364, 364)
    assert applied[limits_module.resource.RLIMIT_AS] == (2048 << 20, 2048 << 20)


def test_stale_stages_of_dead_graders_are_swept(tmp_path: Path) -> None:
    """Is a stage older than 6 h removed, and a fresh one (a running sandbox's) kept?"""
    old, fresh = tmp_path / "mlops-sbx-old", tmp_path / "mlops-sbx-fresh"
    for stage in (old, fresh):
        (stage / "etc").mkdir(parents=True)
        (stage / "etc" / "passwd").write_text("sandbox:x:61000:61000::/tmp:/bin/false\n")
    os.utime(old, (time.time() - 7 * 3600, time.time() - 7 * 3600))
    bubblewrap_module._sweep_stale_stages.__wrapped__(str(tmp_path))
    assert not old.exists() and fresh.exists()


def test_probe_reports_why_bwrap_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    """When bwrap exists but cannot build a sandbox, does the probe say bwrap's own reason?"""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="fake-bwrap-"))
    try:
        fake = folder / "bwrap"
        fake.write_text(
            "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n"
        )
        fake.chmod(0o755)
        folder.chmod(0o755)
        real_which = shutil.which
        monkeypatch.setattr(
            bubblewrap_module.shutil,
            "which",
            lambda n: str(fake) if n == "bwrap" else real_which(n),
        )
        monkeypatch.setattr(capability, "_userns_blocker", lambda: None)
        status = capability._probe_bubblewrap()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert not status.usable
    assert status.reason == "bwrap failed: bwrap: setting up uid map: Permission denied"
