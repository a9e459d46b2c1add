"""Build tiny nbgrader notebooks in memory, and cohorts of submissions from a release."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

_ids = itertools.count(1)

# The sample lab and the answers that earn it full marks (imported by the suites from here, never
# from `conftest`: several suites have a conftest.py and the name would be ambiguous).
SAMPLE = Path(__file__).resolve().parent / "fixtures" / "sample_lab"
SOLUTIONS = {
    "mean_center_answer": (
        "def mean_center(x):\n    x = np.asarray(x, dtype=float)\n    return x - x.mean()"
    ),
    "add_ratio_answer": (
        "def add_ratio(df):\n    out = df.copy()\n    out['ratio'] = out['a'] / out['b']\n"
        "    return out"
    ),
    "circle_area_answer": "def circle_area(r):\n    return math.pi * r**2",
}


def _meta(grade_id: str | None, **flags: Any) -> dict[str, Any]:
    if grade_id is None:
        return {}
    meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3}
    meta.update(grade_id=grade_id, **flags)
    return {"nbgrader": meta}


def make_cell(source: str, cell_type: str = "code", **meta: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": cell_type,
        "id": f"cell-{next(_ids)}",
        "metadata": meta,
        "source": source,
    }
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def make_grade_cell(source: str, grade_id: str, points: float | None = 1.0) -> dict[str, Any]:
    """An autograder test cell (graded, not a solution)."""
    flags: dict[str, Any] = {"grade": True}
    if points is not None:
        flags["points"] = points
    return make_cell(source, **_meta(grade_id, **flags))


def make_solution_cell(source: str, grade_id: str, cell_type: str = "code") -> dict[str, Any]:
    return make_cell(source, cell_type, **_meta(grade_id, solution=True))


def make_locked_cell(source: str, grade_id: str, cell_type: str = "code") -> dict[str, Any]:
    return make_cell(source, cell_type, **_meta(grade_id, locked=True))


def make_markdown_cell(source: str) -> dict[str, Any]:
    return make_cell(source, "markdown")


def make_notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {
        "cells": list(cells),
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def fill_answers(nb: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """A student's version of a released notebook: solution cells replaced by ``answers``."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return nb


def insert_after(nb: dict[str, Any], grade_id: str, source: str) -> dict[str, Any]:
    """Add a student code cell right after the cell ``grade_id``."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb["cells"]):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            nb["cells"].insert(i + 1, make_cell(source))
            return nb
    raise KeyError(grade_id)


def write_notebook(nb: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))
    return path


def read_notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def grade_or_kill_worker(task: Any) -> Any:
    """A pool task that kills its own worker process: always for student ``always-dies``, the
    first time only for ``dies-once`` (a marker file remembers); others are graded normally."""
    import os

    from graders.grade_task import grade_submission

    marker = Path(task.output_dir).parent / ".killed-a-worker"
    if task.student == "always-dies" or (task.student == "dies-once" and not marker.exists()):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        os._exit(1)
    return grade_submission(task)
