"""Store nbgrader's checksum in every graded, solution or locked cell."""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import Notebook, StepContext


class ComputeChecksums:
    """Write ``nbgrader.checksum`` (the same value nbgrader would write)."""

    name = "compute_checksums"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        for cell in nb.get("cells", []):
            if C.is_grade(cell) or C.is_solution(cell) or C.is_locked(cell):
                cell["metadata"]["nbgrader"]["checksum"] = C.compute_checksum(cell)
        return nb
