"""Set-up problems give one clear line, not a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_busy_port_is_named_with_the_way_out() -> None:
    """When port N is taken, does `make run`'s preflight say so and suggest PORT=N+1?"""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = _run("tools/preflight.py", "--port", str(port))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"error: port {port} is busy on 127.0.0.1: stop what uses it or pick another port, "
        f"e.g. PORT={port + 1} make run"
    ]


def test_missing_npm_is_named_with_what_to_install(tmp_path: Path) -> None:
    """Without npm on PATH, does the preflight say what to install (and nothing else)?"""
    proc = subprocess.run(
        [sys.executable, "tools/preflight.py", "--need-npm"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path)},
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "npm not found" in proc.stderr
    assert "apt-get install -y nodejs npm" in proc.stderr


def test_serve_refuses_a_busy_port_in_one_line(tmp_path: Path) -> None:
    """Does the server itself (if the port got taken after the preflight) fail in one line?"""
    (tmp_path / "index.html").write_text("<h1>site</h1>")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = _run("tools/serve_site.py", "--port", str(port), "--dir", str(tmp_path))
    assert proc.returncode == 1
    hint = f"PORT={port + 1} make run"
    assert proc.stderr == f"error: port {port} is busy: pick another, e.g. {hint}\n"


def test_serve_without_a_build_says_how_to_build(tmp_path: Path) -> None:
    """Serving before building names the missing build and the command that makes it."""
    proc = _run("tools/serve_site.py", "--port", "0", "--dir", str(tmp_path))
    assert proc.returncode == 1
    assert "run `make site` first" in proc.stderr and proc.stderr.count("\n") == 1
