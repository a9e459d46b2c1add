"""The adversarial cohort: graded once per session, shared by every case's assertions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.sandbox import probe

from .adversarial_cohort import UID_BASE, Cohort, case_names, expected, grade_cohort

# Before any grading worker (forkserver) starts, so that every sandbox of this session uses them.
os.environ.setdefault("MLOPS_GRADE_SLOT_UID_BASE", str(UID_BASE))


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cohort]:
    """Every case graded in one autograde run (2 workers) of one course."""
    status = probe()[0]
    names = case_names()
    skipped = []
    if not status.usable:
        skipped = [n for n in names if expected(n).get("needs_sandbox")]
        names = [n for n in names if n not in skipped]
    root: Path = tmp_path_factory.mktemp("adversarial") / "course"
    result = grade_cohort(root, names, isolating=status.usable)
    result.skipped_cases = skipped
    yield result
    # pytest keeps the last temp dirs: drop the 100-200 MB files the attacks left.
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_size > 10 << 20:
            path.unlink()
