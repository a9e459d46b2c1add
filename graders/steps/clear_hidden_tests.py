"""Remove hidden tests and write in the cell only how many scoring units were removed.

The count lets `check` say "4 hidden tests will run at grading" without revealing anything else.
"""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import Notebook, StepContext


class ClearHiddenTests:
    """Drop ``### BEGIN/END HIDDEN TESTS`` regions; record ``mlops_grader.hidden_tests``."""

    name = "clear_hidden_tests"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        for cell in nb.get("cells", []):
            text = C.source(cell)
            if C.BEGIN_HIDDEN not in text:
                continue
            hidden = C.count_hidden_units(text)
            cell["source"], _ = C.replace_regions(text, C.BEGIN_HIDDEN, C.END_HIDDEN, None)
            cell.setdefault("metadata", {})[C.OUR_KEY] = {"hidden_tests": hidden}
        return nb
