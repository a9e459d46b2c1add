"""Compare a submission with the recorded instructor cells and name every difference.

Findings go to ``ctx.tampering`` as ``<kind>:<grade_id>``; kinds: deleted-test-cell,
deleted-locked-cell, edited-test-cell, edited-locked-cell,
changed-metadata, duplicate-grade-id, added-grade-cell, reordered-cells.
Must run before `restore_locked_cells`, which erases the evidence.
"""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import InstructorCell, Notebook, StepContext
from graders.steps.match_cells import match_cells

# What decides how a cell is graded. `locked` is not among them: locked cells are restored from
# the gradebook whatever a submission says, and an older nbgrader wrote `locked: false` (and
# `points: 1.0`, `cell_type`) into released test cells: comparing it accused honest students.
META_KEYS = ("grade", "solution", "task", "points", "grade_id")


def normalize(text: str) -> str:
    """Ignore trailing whitespace, which editors add and remove freely."""
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _meta_changed(cell: C.Cell, rec: InstructorCell) -> bool:
    meta = C.nbmeta(cell)
    for key in META_KEYS:
        a, b = meta.get(key), rec.metadata.get(key)
        if key == "points" and rec.grade:
            try:
                if float(a) != float(b):  # type: ignore[arg-type]
                    return True
            except (TypeError, ValueError):
                return True
        elif key != "points" and bool(a) != bool(b) and key != "grade_id":
            return True
    return meta.get("grade_id") != rec.grade_id or cell.get("cell_type") != rec.cell_type


def _deleted_kind(rec: InstructorCell) -> str:
    return "deleted-test-cell" if rec.test else "deleted-locked-cell"


class DetectTampering:
    """Record deleted, edited, duplicated, forged, re-labelled and reordered instructor cells."""

    name = "detect_tampering"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        cells = nb.get("cells", [])
        found: list[str] = []
        m = match_cells(nb, ctx)
        matched = m.matched
        for gid in ctx.order:
            rec = ctx.instructor_cells[gid]
            if gid not in matched:
                if not rec.solution:  # removing one's own answer cell is not tampering
                    found.append(f"{_deleted_kind(rec)}:{gid}")
                continue
            cell = cells[matched[gid]]
            released = {normalize(t) for t in (rec.released_source, *rec.earlier_released)}
            if rec.locked and normalize(C.source(cell)) not in released:
                kind = "edited-test-cell" if rec.test else "edited-locked-cell"
                found.append(f"{kind}:{gid}")
            if _meta_changed(cell, rec):
                found.append(f"changed-metadata:{gid}")
        for index in m.duplicates:
            rec = ctx.instructor_cells[C.grade_id(cells[index]) or ""]
            if rec.locked or rec.grade:
                found.append(f"duplicate-grade-id:{rec.grade_id}")
        for index in m.forged:
            found.append(f"added-grade-cell:{C.grade_id(cells[index]) or f'#{index + 1}'}")
        seen = [gid for _, gid in sorted(m.anchor.items())]
        if seen != [gid for gid in ctx.order if gid in matched]:
            found.append("reordered-cells:notebook")
        ctx.tampering.extend(dict.fromkeys(found))
        return nb
