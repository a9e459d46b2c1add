"""Clear outputs and execution counts (released and autograded notebooks start clean)."""

from __future__ import annotations

from graders.steps.base import Notebook, StepContext


class ClearOutputs:
    """Empty every code cell's outputs and execution count."""

    name = "clear_outputs"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
        return nb
