"""Remember the lines of solutions and hidden tests, so the release can be scanned for them."""

from __future__ import annotations

from graders import cells as C
from graders.steps.base import Notebook, StepContext

MIN_LEN = 8  # shorter lines (`pass`, `return x`) are too common to call a leak


def _secret_lines(cell: C.Cell) -> tuple[list[str], list[str]]:
    """Split a cell's stripped lines into secret ones and public ones."""
    secret: list[str] = []
    public: list[str] = []
    inside = False
    whole = C.is_solution(cell) and C.BEGIN_SOLUTION not in C.source(cell)
    for line in C.source(cell).split("\n"):
        if C.has_marker(line, C.BEGIN_SOLUTION) or C.has_marker(line, C.BEGIN_HIDDEN):
            inside = True
        elif C.has_marker(line, C.END_SOLUTION) or C.has_marker(line, C.END_HIDDEN):
            inside = False
        else:
            (secret if inside or whole else public).append(line.strip())
    return secret, public


class CollectLeakLines:
    """Fill ``ctx.leak_lines``: secret lines that appear nowhere public in the notebook."""

    name = "collect_leak_lines"

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook:
        secret: set[str] = set()
        public: set[str] = set()
        for cell in nb.get("cells", []):
            s, p = _secret_lines(cell)
            secret.update(s)
            public.update(p)
        ctx.leak_lines |= {
            line
            for line in secret - public - {C.TEXT_STUB}
            if len(line) >= MIN_LEN and not line.startswith("#")
        }
        return nb
