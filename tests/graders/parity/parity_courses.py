"""The courses of the parity suite: the pattern notebooks, nbgrader's example, an ordered cohort.

Each builder writes a course root (``source/``, ``release/``, ``submitted/``) for one engine;
``engine`` is ``"ours"`` (`graders.release.release`) or ``"nbgrader"`` (``generate_assignment``).
The goldens (nbgrader's points per test cell) live in ``golden/`` and are rewritten only with
``--update-goldens``, which runs nbgrader 0.9.6 on the same courses.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from .parity_kit import (
    CellScores,
    fill,
    nbgrader_autograde,
    nbgrader_cell_scores,
    nbgrader_release,
    nbgrader_version,
    read_json,
    test_cells,
    write_json,
)
from .patterns import PATTERNS, VARIANTS, Pattern, notebook_sha, source_notebook

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
TABLES: list[str] = []  # tables printed at the end of the run (conftest's terminal summary)
GOLDEN = HERE / "golden"
PATTERN_LAB = "patterns"
EXAMPLE_LAB = "ps1"


def example_dir() -> Path:
    """nbgrader's documentation course (``source/ps1``, ``submitted/``, ``grades.csv``)."""
    import nbgrader

    return Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"


EXAMPLE_STUDENTS = ("bitdiddle", "hacker")


def release(course: Path, lab: str, engine: str) -> None:
    if engine == "ours":
        from graders.release import release as ours

        ours(course_dir=course, lab=lab)
    else:
        nbgrader_release(course, lab)


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _write(nb: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))


def build_pattern_course(
    root: Path, engine: str, patterns: tuple[Pattern, ...] = PATTERNS,
    students: dict[str, tuple[Pattern, str]] | None = None,
) -> Path:  # fmt: skip
    """One lab, one notebook per pattern; one student per variant (named after it).

    ``students`` (name → (pattern, variant)) replaces the default cohort: used by the order test.
    """
    for p in patterns:
        _write(source_notebook(p), root / "source" / PATTERN_LAB / f"{p.name}.ipynb")
    release(root, PATTERN_LAB, engine)
    rel = root / "release" / PATTERN_LAB
    if students is None:
        for variant in VARIANTS:
            for p in patterns:
                nb = fill(_read(rel / f"{p.name}.ipynb"), p.answers(variant))
                _write(nb, root / "submitted" / variant / PATTERN_LAB / f"{p.name}.ipynb")
    else:
        for student, (p, variant) in students.items():
            nb = fill(_read(rel / f"{p.name}.ipynb"), p.answers(variant))
            _write(nb, root / "submitted" / student / PATTERN_LAB / f"{p.name}.ipynb")
    return root


def build_example_course(root: Path, engine: str) -> Path:
    """nbgrader's own example (``ps1``) from its wheel: released here, submissions as shipped."""
    example = example_dir()
    shutil.copytree(example / "source" / EXAMPLE_LAB, root / "source" / EXAMPLE_LAB)
    release(root, EXAMPLE_LAB, engine)
    for student in EXAMPLE_STUDENTS:
        shutil.copytree(
            example / "submitted" / student / EXAMPLE_LAB,
            root / "submitted" / student / EXAMPLE_LAB,
        )
    return root


def example_grades_csv() -> dict[str, float]:
    """The totals nbgrader's documentation ships for the example (``grades.csv``)."""
    with (example_dir() / "grades.csv").open() as f:
        return {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}


# --- goldens --------------------------------------------------------------------------------


def pattern_golden_path() -> Path:
    return GOLDEN / "patterns.json"


def example_golden_path() -> Path:
    return GOLDEN / "example_ps1.json"


def _check_pattern_golden(p: Pattern, scores: dict[str, dict[str, float]]) -> None:
    """A pattern notebook must separate the variants under nbgrader, or it measures nothing."""
    cells = test_cells(source_notebook(p))
    full = sum(cells.values())
    got = {v: sum(scores[v].get(c, 0.0) for c in cells) for v in VARIANTS}
    if got["solved"] != full:
        raise AssertionError(f"{p.name}: nbgrader gives the solution {got['solved']}/{full}")
    if not got["blank"] < full:
        raise AssertionError(f"{p.name}: nbgrader gives the blank release full marks")
    if not 0 < got["partial"] < full:
        raise AssertionError(f"{p.name}: the partial answer gets {got['partial']}/{full}")


def regenerate_pattern_golden(work: Path) -> dict[str, Any]:
    """Grade every pattern with nbgrader (one course, one student per variant) and store it."""
    course = build_pattern_course(work / "nbgrader-patterns", "nbgrader")
    wall = nbgrader_autograde(course, PATTERN_LAB)
    theirs: CellScores = nbgrader_cell_scores(course, PATTERN_LAB)
    golden: dict[str, Any] = {
        "nbgrader": nbgrader_version(),
        "command": "nbgrader autograde (see tests/graders/parity/parity_courses.py)",
        "wall_s": round(wall, 1),
        "patterns": {},
    }
    for p in PATTERNS:
        per_variant = {v: theirs.get(v, {}).get(p.name, {}) for v in VARIANTS}
        _check_pattern_golden(p, per_variant)
        golden["patterns"][p.name] = {
            "sha": notebook_sha(p),
            "cells": test_cells(source_notebook(p)),
            **per_variant,
        }
    write_json(pattern_golden_path(), golden)
    return golden


def regenerate_example_golden(work: Path) -> dict[str, Any]:
    course = build_example_course(work / "nbgrader-example", "nbgrader")
    nbgrader_autograde(course, EXAMPLE_LAB)
    golden = {
        "nbgrader": nbgrader_version(),
        "cells": nbgrader_cell_scores(course, EXAMPLE_LAB),
    }
    write_json(example_golden_path(), golden)
    return golden


def load_golden(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise AssertionError(f"{path} is missing: run pytest with --update-goldens")
    data: dict[str, Any] = read_json(path)
    return data
