"""Put the instructor cells back as recorded in the gradebook, in the released order.

Locked and test cells get their complete recorded source (hidden tests included); deleted ones
come back; solution cells keep the student's answer under the recorded metadata (a deleted one
stays deleted: a stub put back could override the student's code written elsewhere);
duplicated or forged nbgrader cells become plain student cells.
Student cells travel with the instructor cell they followed.
"""

from __future__ import annotations

import copy

from graders import cells as C
from graders.steps.base import InstructorCell, Notebook, StepContext
from graders.steps.match_cells import match_cells


def _restored(rec: InstructorCell, cell: C.Cell | None) -> C.Cell:
    keep_answer = rec.solution and cell is not None
    text = C.source(cell) if keep_answer and cell is not None else rec.source
    new: C.Cell = {
        "cell_type": rec.cell_type,
        "metadata": {"nbgrader": copy.deepcopy(rec.metadata)},
        "source": text,
    }
    if rec.cell_id:
        new["id"] = rec.cell_id
    elif cell is not None and cell.get("id"):
        new["id"] = cell["id"]
    if rec.cell_type == "code":
        new.update(outputs=[], execution_count=None)
    return new


def _plain(cell: C.Cell) -> C.Cell:
    cell = copy.deepcopy(cell)
    cell.get("metadata", {}).pop("nbgrader", None)
    return cell


class RestoreLockedCells:
    """Rebuild the cell list from the recorded instructor cells and the student's own cells."""

    name = "restore_locked_cells"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        m = match_cells(nb, ctx)
        head: list[C.Cell] = []
        after: dict[str, list[C.Cell]] = {gid: [] for gid in ctx.order}
        anchor_cell: dict[str, C.Cell] = {}
        current: list[C.Cell] = head
        for index, cell in enumerate(nb.get("cells", [])):
            gid = m.anchor.get(index)
            if gid is not None and gid in after:
                anchor_cell[gid] = cell
                current = after[gid]
            else:
                current.append(_plain(cell) if "nbgrader" in cell.get("metadata", {}) else cell)
        cells = list(head)
        for gid in ctx.order:
            rec = ctx.instructor_cells[gid]
            if rec.solution and gid not in anchor_cell:
                continue  # an answer cell the student removed: their code may live elsewhere
            cells.append(_restored(rec, anchor_cell.get(gid)))
            cells.extend(after[gid])
        nb["cells"] = cells
        return nb
