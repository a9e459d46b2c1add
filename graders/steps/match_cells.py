"""Match a submission's cells to the recorded instructor cells (shared by detect and restore)."""

from __future__ import annotations

from dataclasses import dataclass, field

from graders import cells as C
from graders.steps.base import Notebook, StepContext


@dataclass
class Matching:
    """How the cells of a submitted notebook relate to the instructor cells.

    Attributes:
        anchor: For each cell index, the ``grade_id`` it is matched to (first occurrence only).
        duplicates: Indices of later cells claiming an already matched ``grade_id``.
        renamed: Indices of cells matched through their nbformat id although their grade_id differs.
        forged: Indices of cells claiming nbgrader roles the instructor never gave them.
    """

    anchor: dict[int, str] = field(default_factory=dict)
    duplicates: list[int] = field(default_factory=list)
    renamed: list[int] = field(default_factory=list)
    forged: list[int] = field(default_factory=list)

    @property
    def matched(self) -> dict[str, int]:
        return {gid: i for i, gid in self.anchor.items()}


def _claims_role(cell: C.Cell) -> bool:
    return C.is_grade(cell) or C.is_solution(cell) or C.is_locked(cell) or C.is_task(cell)


def match_cells(nb: Notebook, ctx: StepContext) -> Matching:
    """Pair cells with instructor records by grade_id, falling back to the nbformat cell id."""
    by_cell_id = {r.cell_id: gid for gid, r in ctx.instructor_cells.items() if r.cell_id}
    result = Matching()
    taken: set[str] = set()
    for index, cell in enumerate(nb.get("cells", [])):
        gid = C.grade_id(cell)
        via_id = by_cell_id.get(str(cell.get("id", "")))
        if gid in ctx.instructor_cells and gid not in taken:
            result.anchor[index] = gid
            taken.add(gid)
        elif gid in taken and _claims_role(cell):
            result.duplicates.append(index)
        elif via_id and via_id not in taken and via_id not in _present_ids(nb):
            result.anchor[index] = via_id
            result.renamed.append(index)
            taken.add(via_id)
        elif _claims_role(cell):
            result.forged.append(index)
    return result


def _present_ids(nb: Notebook) -> set[str]:
    return {g for g in (C.grade_id(c) for c in nb.get("cells", [])) if g}
