"""Refuse a source notebook whose markers or metadata would make a broken release.

Checks: balanced, non-nested solution and hidden-test markers; solution markers only in solution
cells and hidden-test markers only in grade cells; every nbgrader cell has a grade_id, no grade_id
twice; every graded cell has non-negative points; assertion groups do not exceed the cell's points.
"""

from __future__ import annotations

import math

from graders import cells as C
from graders.steps.base import Notebook, StepContext, StepError, cell_label


def _check_balance(text: str, begin: str, end: str, where: str) -> int:
    depth = count = 0
    for line in text.split("\n"):
        if C.has_marker(line, begin):
            if depth:
                raise StepError(f"{where}: nested '### {begin}'")
            depth, count = 1, count + 1
        elif C.has_marker(line, end):
            if not depth:
                raise StepError(f"{where}: '### {end}' without '### {begin}'")
            depth = 0
    if depth:
        raise StepError(f"{where}: '### {begin}' is never closed by '### {end}'")
    return count


def _check_points(cell: C.Cell, where: str) -> None:
    raw = C.nbmeta(cell).get("points")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise StepError(f"{where}: graded cell has no points (set nbgrader.points)") from None
    if value < 0 or not math.isfinite(value):
        raise StepError(f"{where}: points must be a non-negative number, got {raw!r}")
    if C.is_test(cell):
        _, groups = C.split_groups(C.source(cell))
        explicit = sum(g.points or 0 for g in groups)
        if explicit > value + 1e-9:
            raise StepError(
                f"{where}: '# TEST:' groups claim {explicit:g} points, cell has {value:g}"
            )


class CheckMarkers:
    """Validate markers and metadata; never changes the notebook."""

    name = "check_markers"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        seen: dict[str, int] = {}
        for index, cell in enumerate(nb.get("cells", [])):
            where = f"{ctx.notebook}: {cell_label(cell, index)}"
            text = C.source(cell)
            if _check_balance(text, C.BEGIN_SOLUTION, C.END_SOLUTION, where) and not C.is_solution(
                cell
            ):
                raise StepError(f"{where}: solution markers in a cell not marked as a solution")
            if _check_balance(text, C.BEGIN_HIDDEN, C.END_HIDDEN, where) and not C.is_grade(cell):
                raise StepError(f"{where}: hidden-test markers in a cell that is not graded")
            if "nbgrader" not in cell.get("metadata", {}):
                continue
            if not (
                C.is_grade(cell) or C.is_solution(cell) or C.is_locked(cell) or C.is_task(cell)
            ):
                continue
            gid = C.grade_id(cell)
            if not gid:
                raise StepError(f"{where}: nbgrader cell without a grade_id")
            if gid in seen:
                raise StepError(f"{where}: grade_id '{gid}' already used by cell #{seen[gid] + 1}")
            seen[gid] = index
            if C.is_grade(cell) or C.is_task(cell):
                _check_points(cell, where)
        return nb
