"""check_checksums: the learner is warned about edited or deleted test cells before submitting."""

from __future__ import annotations

from grader_helpers import make_grade_cell, make_locked_cell, make_notebook, make_solution_cell

from graders.pipelines import RELEASE, run_pipeline
from graders.steps.base import StepContext
from graders.steps.check_checksums import CheckChecksums


def released() -> dict:
    nb = make_notebook(
        make_locked_cell("import math", "imports"),
        make_solution_cell("x = 1", "answer"),
        make_grade_cell("assert x == 1", "test_x"),
    )
    return run_pipeline(RELEASE, nb, StepContext())


def test_released_notebook_is_clean() -> None:
    """Does an untouched released notebook (answer filled in) pass?"""
    nb = released()
    nb["cells"][1]["source"] = "x = 1"
    ctx = StepContext()
    CheckChecksums()(nb, ctx)
    assert ctx.tampering == []


def test_edited_and_deleted_cells_are_flagged() -> None:
    """Are an edited locked cell and a deleted test cell both flagged?"""
    nb = released()
    nb["cells"][0]["source"] = "import math as m"
    del nb["cells"][2]
    ctx = StepContext()
    CheckChecksums()(nb, ctx)
    assert ctx.tampering == ["edited-locked-cell:imports", "deleted-cell:test_x"]
