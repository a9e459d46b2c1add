"""The course site built once per session with `mkdocs build --strict`.

The site suite (pages, navigation, browser) and the course-content checks (the quiz pages'
per-option feedback) read the same build: a full strict build takes several seconds on a CI
machine, and building the same configuration twice in one run proves nothing more.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def mkdocs_build(out: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` into `out` (the repository's config unless `config` is given)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    if config is not None:
        cmd += ["--config-file", str(config)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the course site once, with --strict, into a temporary directory (read-only)."""
    out = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(out)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-4000:]}"
    return out
