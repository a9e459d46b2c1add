"""Replace solutions by stubs, as nbgrader's ClearSolutions does (same stubs, same rules)."""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import Notebook, StepContext


class ClearSolutions:
    """Solution regions become ``# YOUR CODE HERE`` stubs; unmarked solution cells become stubs."""

    name = "clear_solutions"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        for cell in nb.get("cells", []):
            text = C.source(cell)
            stub = C.CODE_STUB if cell.get("cell_type") == "code" else C.TEXT_STUB
            new, count = C.replace_regions(text, C.BEGIN_SOLUTION, C.END_SOLUTION, stub)
            if count:
                cell["source"] = new
            elif C.is_solution(cell):
                cell["source"] = stub
        return nb
