"""Labs for the site: find each lab's source notebook and derive the student version from it.

The student version is what `mlops-grade release` hands out: the grading engine's own release
pipeline (`graders.release.release_notebook`: marker checks, solutions and hidden tests cleared,
cells locked and checksummed, leak scan), so the site never shows anything else. Where `graders`
is not importable, a plain strip of the same markers (`student_version`) stands in. Results are
cached under `build/cache/labs/<content hash>/`, never in git.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

LAB_DIR = re.compile(r"^lab(\d{2})_[a-z0-9_]+$")
STRIP_VERSION = b"strip-v2"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass(frozen=True)
class Lab:
    name: str  # folder name, e.g. "lab01_first_pipeline"
    number: str  # "01"
    source: Path
    title: str


def _cell_text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def notebook_title(nb: dict, fallback: str) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            m = re.search(r"^#\s+(.+)$", _cell_text(cell), re.M)
            if m:
                return m.group(1).strip()
    return fallback


def find_labs(labs_dir: Path) -> list[Lab]:
    """Each `labs/labNN_slug/` holding a source notebook (`labNN_slug.ipynb`, else the only one)."""
    if not labs_dir.is_dir():
        return []
    labs = []
    for folder in sorted(labs_dir.iterdir()):
        m = LAB_DIR.match(folder.name)
        if not (folder.is_dir() and m):
            continue
        preferred = folder / f"{folder.name}.ipynb"
        candidates = [preferred] if preferred.is_file() else sorted(folder.glob("*.ipynb"))
        if len(candidates) != 1:
            continue
        nb = json.loads(candidates[0].read_text(encoding="utf-8"))
        labs.append(Lab(folder.name, m.group(1), candidates[0], notebook_title(nb, folder.name)))
    return labs


def _strip_block(text: str, begin: str, end: str, replacement: str | None) -> str:
    out: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == begin:
            inside = True
            if replacement is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out.extend(indent + r + "\n" for r in replacement.splitlines())
            continue
        if stripped == end and inside:
            inside = False
            continue
        if not inside:
            out.append(line)
    return "".join(out)


def student_version(nb: dict) -> dict:
    """A copy of `nb` without solutions, hidden tests or outputs."""
    out = json.loads(json.dumps(nb))
    for cell in out.get("cells", []):
        text = _cell_text(cell)
        if cell.get("cell_type") == "code":
            text = _strip_block(
                text, BEGIN_SOLUTION, END_SOLUTION, "# YOUR CODE HERE\nraise NotImplementedError()"
            )
            text = _strip_block(text, BEGIN_HIDDEN, END_HIDDEN, None)
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            text = _strip_block(text, BEGIN_SOLUTION, END_SOLUTION, "YOUR ANSWER HERE")
        cell["source"] = text
    return out


class LabError(ValueError):
    """A lab cannot be released; str() names the notebook and the cell."""


def _releaser() -> tuple[str, object]:
    try:
        from graders.errors import GraderError
        from graders.release import release_notebook
    except ImportError:
        return "strip", None
    return "graders", (release_notebook, GraderError)


def release(lab: Lab, nb: dict) -> dict:
    """The student version of `nb`: graders' release when available, else `student_version`."""
    kind, impl = _releaser()
    if impl is None:
        return student_version(nb)
    release_notebook, grader_error = impl  # type: ignore[misc]
    try:
        released, _ = release_notebook(nb, lab.source.stem)
    except grader_error as exc:
        raise LabError(f"{lab.source}: release refused: {exc}") from None
    return released


def intro_cell(lab: Lab, download: str, howto: str) -> dict:
    """A Markdown cell for the site page: the download link and how to open the notebook."""
    text = (
        f"**Download the notebook:** [{lab.name}.ipynb]({download}) · "
        f"[How to open it]({howto}) (locally, in the lab container or on the cohort hub). "
        f"Check your work with `mlops-grade check {lab.name}.ipynb` before you submit."
    )
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _write_whole(path: Path, text: str) -> None:
    """Temp-then-rename: a build reading the cache while another writes it (the lab book is
    printed while the site builds) sees the whole notebook or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def prepare(lab: Lab, cache_dir: Path, download: str, howto: str) -> tuple[Path, Path]:
    """Student notebook and site-render notebook paths for `lab`, built once per content hash."""
    raw = lab.source.read_bytes()
    salt = STRIP_VERSION + _releaser()[0].encode()
    key = hashlib.sha256(salt + raw + download.encode() + howto.encode()).hexdigest()
    base = cache_dir / key[:16]
    student = base / "student" / f"{lab.name}.ipynb"
    # Laid out as the page's path under a docs-like root, so mkdocs-jupyter sees a normal File.
    render = base / "site-render" / "labs" / f"{lab.name}.ipynb"
    if not (student.is_file() and render.is_file()):
        nb = release(lab, json.loads(raw))
        _write_whole(student, json.dumps(nb, indent=1) + "\n")
        cells = nb["cells"]
        at = 1 if cells and cells[0].get("cell_type") == "markdown" else 0
        cells.insert(at, intro_cell(lab, download, howto))
        _write_whole(render, json.dumps(nb, indent=1) + "\n")
    return student, render
