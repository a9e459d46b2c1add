"""Refuse a release that would ship a solution or a hidden test (last line of defence)."""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import Notebook, StepContext, StepError, cell_label

MARKERS = (C.BEGIN_SOLUTION, C.END_SOLUTION, C.BEGIN_HIDDEN, C.END_HIDDEN)


def find_leak(text: str, leak_lines: set[str]) -> str | None:
    """The first marker or secret line found in ``text``, or None."""
    for marker in MARKERS:
        if marker in text:
            return f"marker '### {marker}'"
    for line in text.split("\n"):
        if line.strip() in leak_lines:
            return f"line '{line.strip()[:60]}'"
    return None


class ScanLeaks:
    """Scan every cell (source and outputs) of the released notebook."""

    name = "scan_leaks"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        for index, cell in enumerate(nb.get("cells", [])):
            texts = [C.source(cell)] + [str(o) for o in cell.get("outputs", [])]
            for text in texts:
                leak = find_leak(text, ctx.leak_lines)
                if leak:
                    raise StepError(
                        f"{ctx.notebook}: {cell_label(cell, index)} would leak a solution or "
                        f"hidden test ({leak}); release refused"
                    )
        return nb
