"""Grade the same notebooks with nbgrader 0.9.6 and with `mlops-grade`; compare per test cell.

Shared by the CI suite (`tests/graders/parity/`) and the real-course measurement
(`benchmarks/nbgrader_parity.py`, which loads this file by path). Both engines get the same
course: each releases the instructor notebooks itself and the submissions are made from that
engine's own release (``solved``: the source's solutions without their markers; ``blank``: the
release as is; ``half``/``partial``: some answers only). A test cell is *equal* when both engines
give it the same points.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent  # the venv's bin: nbgrader, jupyter and the kernel live here

# {student: {notebook: {test cell grade_id: points}}}
CellScores = dict[str, dict[str, dict[str, float]]]


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def answer_cells(nb: dict[str, Any]) -> list[str]:
    """grade_ids of the cells a student writes (``solution: true``), in notebook order."""
    return [
        nbgrader_meta(c)["grade_id"]
        for c in nb["cells"]
        if nbgrader_meta(c).get("solution") and nbgrader_meta(c).get("grade_id")
    ]


def test_cells(nb: dict[str, Any]) -> dict[str, float]:
    """Autograder test cells (graded code cells that are not answers) and their points."""
    return {
        nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0) or 0)
        for c in nb["cells"]
        if c.get("cell_type") == "code"
        and nbgrader_meta(c).get("grade")
        and not nbgrader_meta(c).get("solution")
    }


def cell_text(source: Any) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    return "".join(source) if isinstance(source, list) else str(source)


def strip_solution_markers(source: Any) -> str:
    """The code a student who solved the cell would have: the source minus the marker lines."""
    keep = [
        line
        for line in cell_text(source).split("\n")
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    ]
    return "\n".join(keep)


def solutions(source_nb: dict[str, Any]) -> dict[str, str]:
    """Every answer cell's solution, by grade_id."""
    return {
        nbgrader_meta(c)["grade_id"]: strip_solution_markers(c["source"])
        for c in source_nb["cells"]
        if nbgrader_meta(c).get("solution") and nbgrader_meta(c).get("grade_id")
    }


def variant_answers(source_nb: dict[str, Any], variant: str) -> dict[str, str]:
    """Answers of a ``solved``, ``blank`` or ``half`` (first half of the answer cells) student."""
    sol = solutions(source_nb)
    if variant == "solved":
        return sol
    if variant == "half":
        ids = answer_cells(source_nb)
        return {g: sol[g] for g in ids[: len(ids) // 2]}
    if variant == "blank":
        return {}
    raise ValueError(f"unknown variant {variant!r}")


def fill(released: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """A submission: the released notebook with the answer cells named in ``answers`` written."""
    nb = copy.deepcopy(released)
    for cell in nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in answers and nbgrader_meta(cell).get("solution"):
            cell["source"] = answers[gid]
    return nb


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


# --- nbgrader -------------------------------------------------------------------------------


def nbgrader_version() -> str:
    import nbgrader

    return str(nbgrader.__version__)


def nbgrader_env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    env.pop("PYTHONSAFEPATH", None)
    return env


def _nbgrader(course: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course, env=nbgrader_env(),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def nbgrader_release(course: Path, lab: str, cell_timeout: float = 60) -> None:
    """``nbgrader generate_assignment``; raises with nbgrader's own error on failure."""
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'parity'\n"
        f"c.Execute.timeout = {int(cell_timeout)}\n"
    )
    proc = _nbgrader(course, "generate_assignment", lab, "--force", timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {lab}: {proc.stderr[-1500:]}")


def nbgrader_autograde(course: Path, lab: str, timeout: float = 1800) -> float:
    """``nbgrader autograde`` of every submission; returns the wall time in seconds."""
    started = time.perf_counter()
    proc = _nbgrader(course, "autograde", lab, "--force", timeout=timeout)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader autograde {lab}: {proc.stderr[-1500:]}")
    return wall


def nbgrader_cell_scores(course: Path, lab: str) -> CellScores:
    """Points of every autograder test cell, from nbgrader's gradebook."""
    db = sqlite3.connect(course / "gradebook.db")
    try:
        rows = db.execute(
            "SELECT sa.student_id, nb.name, bc.name, g.auto_score FROM grade g "
            "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "JOIN assignment a ON sa.assignment_id = a.id "
            "JOIN notebook nb ON sn.notebook_id = nb.id "
            "JOIN base_cell bc ON g.cell_id = bc.id "
            "JOIN grade_cells gc ON gc.id = bc.id "
            "WHERE a.name = ? AND gc.cell_type = 'code' AND NOT EXISTS ("
            " SELECT 1 FROM base_cell s JOIN solution_cells sc ON sc.id = s.id"
            " WHERE s.notebook_id = bc.notebook_id AND s.name = bc.name)",
            (lab,),
        ).fetchall()
    finally:
        db.close()
    out: CellScores = {}
    for student, notebook, cell, score in rows:
        out.setdefault(student, {}).setdefault(notebook, {})[cell] = float(score or 0.0)
    return out


# --- ours -----------------------------------------------------------------------------------


@dataclass
class OursRun:
    """Our engine's per-cell points, statuses and wall time of one cohort run."""

    cells: CellScores
    status: dict[str, dict[str, str]]
    tampering: dict[str, list[str]]
    wall_s: float
    totals: dict[str, float] = field(default_factory=dict)
    details: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def ours_config(**overrides: Any) -> Any:
    """Our defaults, unsandboxed only where this machine has no isolating sandbox."""
    from graders.config import GradeConfig
    from graders.sandbox import probe

    usable = probe()[0].usable
    return GradeConfig(**{"allow_unsandboxed": not usable, **overrides})


def ours_autograde(
    course: Path,
    lab: str,
    *,
    workers: int = 2,
    config: Any = None,
    students: list[str] | None = None,
) -> OursRun:
    """`autograde` the cohort (forced), read every test cell's points from the results."""
    from graders.autograde import autograde

    started = time.perf_counter()
    result = autograde(
        course_dir=course, lab=lab, workers=workers, force=True,
        config=config or ours_config(), students=students,
    )  # fmt: skip
    run = OursRun({}, {}, {}, time.perf_counter() - started)
    for sub in result.results:
        run.totals[sub.student] = sub.total
        run.tampering[sub.student] = [k for nb in sub.notebooks for k in nb.tampering]
        for nb in sub.notebooks:
            cells = run.cells.setdefault(sub.student, {}).setdefault(nb.name, {})
            details = run.details.setdefault(sub.student, {}).setdefault(nb.name, {})
            run.status.setdefault(sub.student, {})[nb.name] = nb.status
            for t in nb.tests:
                cells[t.cell] = round(cells.get(t.cell, 0.0) + t.points, 6)
                if not t.passed:
                    details[t.cell] = (t.detail or t.message)[:160]
    return run


# --- comparison -----------------------------------------------------------------------------


def compare(
    expected: dict[str, float], ours: dict[str, float] | None, cells: dict[str, float]
) -> list[tuple[str, float, float]]:
    """Test cells where our points differ from nbgrader's: ``(cell, nbgrader, ours)``.

    ``cells`` names every test cell of the notebook; one missing from a side's results (the
    notebook was not graded, the cell not reached) counts as 0 points on that side.
    """
    ours = ours or {}
    out = []
    for cell in cells:
        theirs, mine = expected.get(cell, 0.0), ours.get(cell, 0.0)
        if abs(theirs - mine) > 1e-6:
            out.append((cell, theirs, mine))
    return out


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)
