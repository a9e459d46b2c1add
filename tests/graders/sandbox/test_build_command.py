"""bubblewrap's command line is built without touching the disk, and says what it binds."""

from __future__ import annotations

from pathlib import Path

from graders.sandbox.bubblewrap import build_command
from graders.sandbox.limits import Limits


def test_build_command_is_pure_and_binds_through_the_stage_as_root(tmp_path: Path) -> None:
    """As root: setpriv first, every source through its stage entry, the work dir writable,
    and nothing written to the (non-existent) stage."""
    stage = tmp_path / "stage-that-does-not-exist"
    src, work = Path("/opt/venv"), Path("/var/tmp/work")
    cmd, pairs = build_command(
        ["python", "-m", "x"], workdir=work, sources=[src], stage=stage,
        limits=Limits(max_file_mb=7), env={"A": "1"}, uid=61000,
        setpriv="/usr/bin/setpriv", bwrap="/usr/bin/bwrap",
    )  # fmt: skip
    assert not stage.exists()
    assert cmd[:2] == ["/usr/bin/setpriv", "--reuid=61000"]
    assert pairs == [(str(src), str(stage / "0")), (str(work), str(stage / "1"))]
    assert ["--ro-bind", str(stage / "0"), str(src)] == cmd[cmd.index(str(stage / "0")) - 1 :][:3]
    assert ["--bind", str(stage / "1"), str(work)] == cmd[cmd.index(str(stage / "1")) - 1 :][:3]
    assert cmd[cmd.index("/tmp") - 2] == str(7 << 20)  # the /tmp tmpfs is capped
    assert cmd[-3:] == ["python", "-m", "x"] and "--unshare-all" in cmd


def test_without_root_sources_are_bound_directly(tmp_path: Path) -> None:
    """Not root: no setpriv, no stage pairs; sources bound at their own paths."""
    cmd, pairs = build_command(
        ["true"], workdir=tmp_path, sources=[Path("/opt/venv")], stage=tmp_path / "s",
        limits=Limits(), env=None, uid=1000, setpriv=None, bwrap="bwrap",
    )  # fmt: skip
    assert pairs == [] and cmd[0] == "bwrap"
    assert cmd[cmd.index("/opt/venv") - 1 :][:3] == ["--ro-bind", "/opt/venv", "/opt/venv"]
