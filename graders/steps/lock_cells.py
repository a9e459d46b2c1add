"""Lock instructor cells (nbgrader's LockCells): graded test cells and cells marked locked."""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import Notebook, StepContext


class LockCells:
    """Set ``locked`` and Jupyter's ``editable``/``deletable`` flags on instructor cells."""

    name = "lock_cells"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        for cell in nb.get("cells", []):
            if C.is_locked(cell):
                cell["metadata"]["nbgrader"]["locked"] = True
                cell["metadata"]["editable"] = False
                cell["metadata"]["deletable"] = False
        return nb
