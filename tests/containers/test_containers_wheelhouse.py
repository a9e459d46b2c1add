"""The wheelhouse tier 2 builds from: which wheels it downloads, and when it downloads none."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import wheelhouse
from container_helpers import LOCKS


def requirements(tmp_path: Path) -> list[list[str]]:
    files = wheelhouse.requirement_files(
        [LOCKS["serve"], LOCKS["lab"]], tmp_path / "in", have=set()
    )
    return [path.read_text().splitlines() for path in files]


def test_takes_every_pin_a_python_311_image_may_install(tmp_path: Path) -> None:
    """Both sides of a 3.11.x point-release marker, Linux only, no 3.12-only pin, all hashed?"""
    files = requirements(tmp_path)
    pins = [line.split()[0] for lines in files for line in lines]
    assert {"soupsieve==2.10", "soupsieve==4.1.3", "numpy==2.4.6"} <= set(pins)
    assert "numpy==2.5.5" not in pins  # python_full_version >= '3.12'
    assert not {p for p in pins if p.startswith(("pywinpty==", "appnope=="))}  # Windows, macOS
    assert len(pins) == len(set(pins)), "a pin listed twice (serve and lab share most)"
    for lines in files:
        names = [line.split("==")[0] for line in lines]
        assert len(names) == len(set(names)), "pip refuses a name twice in one file"
        assert all(" --hash=sha256:" in line and ";" not in line for line in lines)


def write_lock(path: Path, wheel: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(wheel).hexdigest()
    path.write_text(f"demo-pkg==1.0 ; python_version >= '3.8' \\\n    --hash={digest}\n")
    return digest


def test_downloads_only_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Is pip skipped when the folder already holds a file with a pinned hash (and a file no pin
    wants deleted), and otherwise asked for just the missing pin, hash-checked, for wheels the
    bookworm glibc can load?"""
    calls: list[list[str]] = []
    monkeypatch.setattr(wheelhouse, "run_logged", lambda cmd, log, timeout: calls.append(cmd))
    lock, dest = tmp_path / "demo.lock", tmp_path / "wheels"
    write_lock(lock, b"wheel bytes")

    wheelhouse.fill([lock], dest, log=tmp_path / "pip.log")
    (cmd,) = calls
    assert "--require-hashes" in cmd and "--only-binary=:all:" in cmd
    platforms = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--platform"]
    assert platforms[0].startswith("manylinux_2_36_") and not any("2_38" in p for p in platforms)
    asked = Path(cmd[cmd.index("-r") + 1]).read_text()
    assert asked.startswith("demo-pkg==1.0 --hash=sha256:")

    calls.clear()
    dest.mkdir()
    (dest / "demo_pkg-1.0-py3-none-any.whl").write_bytes(b"wheel bytes")
    (dest / "demo_pkg-0.9-py3-none-any.whl").write_bytes(b"older wheel, no longer pinned")
    wheelhouse.fill([lock], dest, log=tmp_path / "pip.log")
    assert calls == []
    assert [p.name for p in dest.iterdir()] == ["demo_pkg-1.0-py3-none-any.whl"]
