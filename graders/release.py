"""release: `source/<lab>` → `release/<lab>` plus instructor cells in the gradebook.

Refuses, naming the cell, when markers are unbalanced, a grade_id is duplicated, a graded cell has
no points, or anything released would contain a solution or a hidden test. Nothing is written
unless everything passes: the release is built in a temporary folder and swapped in at the end.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graders.course import Course
from graders.errors import GraderError
from graders.gradebook import Gradebook
from graders.notebooks import NotebookError, dumps, load_notebook, replace_dir
from graders.pipelines import RELEASE, run_pipeline
from graders.steps.base import StepContext
from graders.steps.scan_leaks import find_leak

SKIP = {".ipynb_checkpoints", "__pycache__", ".git"}


@dataclass
class ReleasedNotebook:
    name: str
    tests: int
    points: float
    hidden_tests: int


@dataclass
class ReleaseResult:
    """What a release produced."""

    lab: str
    release_dir: str
    notebooks: list[ReleasedNotebook] = field(default_factory=list)
    revision: int = 1
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _files(src: Path) -> list[Path]:
    return sorted(
        p for p in src.rglob("*") if p.is_file() and not SKIP.intersection(p.relative_to(src).parts)
    )


def release_notebook(nb: dict[str, Any], name: str) -> tuple[dict[str, Any], StepContext]:
    """Run the release pipeline on one in-memory source notebook."""
    ctx = StepContext(notebook=name)
    return run_pipeline(RELEASE, nb, ctx), ctx


def release(*, course_dir: Path, lab: str, revision: str | None = None) -> ReleaseResult:
    """Build the student version of ``lab`` and record its instructor cells.

    Args:
        revision: Why the lab is released again. Required once submissions exist: the next
            autograde compares each submission with the release it was made from and grades it
            with the newest tests.
    """
    course = Course(Path(course_dir))
    src = course.require_source(lab)
    if not (revision or "").strip() and _has_submissions(course, lab):
        raise GraderError(
            f"lab '{lab}' already has submissions: releasing it again changes the tests they "
            f'are graded with; say why with --revision "..." (e.g. --revision "looser '
            f'tolerance in test_x")'
        )
    files = _files(src)
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    if not notebooks:
        raise GraderError(f"no notebook in {src}")
    dest = course.release(lab)
    tmp = dest.parent / f".{lab}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    result = ReleaseResult(lab=lab, release_dir=str(dest))
    recorded = {}
    leak_lines: set[str] = set()
    try:
        for path in notebooks:
            try:
                nb = load_notebook(path, max_mb=200)
            except NotebookError as exc:
                raise GraderError(f"{path.name}: {exc.detail}") from None
            released, ctx = release_notebook(nb, path.stem)
            leak_lines |= ctx.leak_lines
            out = tmp / path.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(dumps(released), encoding="utf-8")
            cells = [ctx.instructor_cells[g] for g in ctx.order]
            recorded[path.stem] = cells
            result.notebooks.append(
                ReleasedNotebook(
                    name=path.stem,
                    tests=sum(1 for c in cells if c.test),
                    points=sum(c.points for c in cells if c.test),
                    hidden_tests=sum(c.hidden_tests for c in cells),
                )
            )
        for path in files:
            out = tmp / path.relative_to(src)
            if path.suffix != ".ipynb":
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, out)
            leak = _scan_file(out, leak_lines)
            if leak:
                raise GraderError(
                    f"{path.relative_to(src)} would leak a solution ({leak}); release refused"
                )
            result.files.append(str(path.relative_to(src)))
        with Gradebook(course.gradebook) as gb:
            result.revision = gb.record_release(lab, recorded, reason=(revision or "").strip())
        replace_dir(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _has_submissions(course: Course, lab: str) -> bool:
    """Whether anyone submitted ``lab`` (a folder under submitted/, or a graded submission)."""
    submitted = course.root / "submitted"
    if submitted.is_dir() and any((d / lab).is_dir() for d in submitted.iterdir()):
        return True
    if not course.gradebook.exists():
        return False
    with Gradebook(course.gradebook) as gb:
        return gb.has_submissions(lab)


def _scan_file(path: Path, leak_lines: set[str]) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None  # binary data files are not code
    return find_leak(text, leak_lines)
