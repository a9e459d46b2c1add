"""MLOPS_REQUIRE: a missing tool is a skip with its reason on a laptop and a failure naming it in
CI (`.ci/run` exports the requirement), so no suite passes there by not running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TINY = """
import pytest

def test_sandbox(needs_tool):
    needs_tool("sandbox", "bubblewrap missing (faked)")

@pytest.mark.needs_tool("containers", "podman missing (faked)")
def test_containers():
    pass

def test_browser(needs_tool):
    needs_tool("browser", "chromium missing (faked)")

def test_ordinary():
    pass
"""


def run_pytest(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "MLOPS_REQUIRE"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfEs", *args],
        cwd=cwd, env={**environ, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "test_tiny.py").write_text(TINY)
    return tmp_path


def plugin_run(tiny: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_pytest(
        ["-p", "tool_requirements", "test_tiny.py"], tiny, PYTHONPATH=str(HERE), **env
    )


def test_without_the_requirement_a_missing_tool_is_a_skip_with_its_reason(tiny: Path) -> None:
    """On a laptop (no MLOPS_REQUIRE), do the suites skip, saying what is missing?"""
    run = plugin_run(tiny)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "1 passed, 3 skipped" in run.stdout
    for reason in ("bubblewrap missing", "podman missing", "chromium missing"):
        assert reason in run.stdout


def test_the_requirement_turns_those_skips_into_failures_naming_the_tool(tiny: Path) -> None:
    """With MLOPS_REQUIRE=sandbox,containers, do those two fail, naming the tool and why, while
    the browser (not required) still skips?"""
    run = plugin_run(tiny, MLOPS_REQUIRE="sandbox,containers")
    assert run.returncode == 1, run.stdout[-3000:]
    assert "1 failed, 1 passed, 1 skipped, 1 error" in run.stdout  # body: failed; mark: error
    assert "MLOPS_REQUIRE requires sandbox, which is missing here: bubblewrap missing" in run.stdout
    assert "MLOPS_REQUIRE requires containers, which is missing here: podman missing" in run.stdout


def test_an_unknown_requirement_is_refused(tiny: Path) -> None:
    """Is a misspelt requirement an error rather than a requirement nobody checks?"""
    run = plugin_run(tiny, MLOPS_REQUIRE="sandbx")
    assert run.returncode == 4
    assert "MLOPS_REQUIRE names unknown tools: sandbx" in run.stderr


@pytest.mark.slow
def test_the_real_sandbox_suite_fails_without_bubblewrap_when_required() -> None:
    """With bwrap off the PATH, does the sandbox suite's probe test skip on a laptop and fail
    when sandbox is required?"""
    test = "tests/graders/sandbox/test_sandbox_selection.py::test_probe_finds_the_isolating_backend"
    laptop = run_pytest([test], ROOT, PATH="/nonexistent")
    assert laptop.returncode == 0 and "1 skipped" in laptop.stdout, laptop.stdout[-3000:]
    assert "bubblewrap missing: apt-get install bubblewrap" in laptop.stdout
    ci = run_pytest([test], ROOT, PATH="/nonexistent", MLOPS_REQUIRE="sandbox")
    assert ci.returncode == 1 and "1 failed" in ci.stdout, ci.stdout[-3000:]
    assert "MLOPS_REQUIRE requires sandbox, which is missing here: bubblewrap" in ci.stdout


@pytest.mark.slow
def test_the_container_tier_fails_when_required_but_turned_off() -> None:
    """With the container tier switched off, does a run that requires containers fail?

    Tier 2 (the images) is what MLOPS_CONTAINER_TESTS switches; the hub (tier 3) needs only the
    proxy that `make test` installs, so it runs either way.
    """
    test = "tests/containers/test_containers_images.py"
    ci = run_pytest([test, "-x"], ROOT, MLOPS_CONTAINER_TESTS="0", MLOPS_REQUIRE="containers")
    assert ci.returncode == 1, ci.stdout[-3000:]
    assert "MLOPS_REQUIRE requires containers, which is missing here" in ci.stdout
