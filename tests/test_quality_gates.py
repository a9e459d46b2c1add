"""The quality gates (ruff lint, ruff format, mypy) hold for the whole repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import background
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "cmd",
    [("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_gate_is_clean(cmd: tuple[str, ...]) -> None:
    """Would `make lint` pass?"""
    if cmd == ("mypy",):  # the longest gate, started in the background when the run began
        done = background.result("mypy")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        return
    proc = _run(str(BIN / cmd[0]), *cmd[1:])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
