"""Record instructor cells for the gradebook: complete source first, released form after.

Used twice in the release pipeline: ``stage="source"`` before hidden tests are removed (what
autograde restores), ``stage="released"`` after (what tampering is measured against).
"""

from __future__ import annotations

import copy
from typing import Literal

from graders import cells as C
from graders.steps.base import InstructorCell, Notebook, StepContext


class RecordInstructorCells:
    """Snapshot every nbgrader cell that has a ``grade_id`` into the context."""

    name = "record_instructor_cells"

    def __init__(self, stage: Literal["source", "released"]) -> None:
        self.stage = stage

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        if self.stage == "released":
            ctx.order = []
        for index, cell in enumerate(nb.get("cells", [])):
            gid = C.grade_id(cell)
            if not gid or not (C.is_grade(cell) or C.is_solution(cell) or C.is_locked(cell)):
                continue
            if self.stage == "source":
                ctx.pending[gid] = (C.source(cell), C.compute_checksum(cell))
                continue
            full_source, checksum = ctx.pending.get(gid, (C.source(cell), C.compute_checksum(cell)))
            ctx.order.append(gid)
            ctx.instructor_cells[gid] = InstructorCell(
                grade_id=gid,
                index=index,
                cell_type=str(cell.get("cell_type")),
                source=full_source,
                released_source=C.source(cell),
                checksum=checksum,
                released_checksum=C.compute_checksum(cell),
                metadata=copy.deepcopy(C.nbmeta(cell)),
                hidden_tests=int(
                    cell.get("metadata", {}).get(C.OUR_KEY, {}).get("hidden_tests", 0)
                ),
                cell_id=str(cell.get("id", "")),
            )
        if self.stage == "released":
            hidden = sum(c.hidden_tests for c in ctx.instructor_cells.values())
            nb.setdefault("metadata", {})[C.OUR_KEY] = {
                "instructor_cells": list(ctx.order),
                "hidden_tests": hidden,
            }
        return nb
