"""record_instructor_cells: the gradebook gets the complete cell and the released one."""

from __future__ import annotations

from grader_helpers import make_grade_cell, make_notebook, make_solution_cell

from graders.pipelines import RELEASE, run_pipeline
from graders.steps.base import StepContext


def test_records_complete_and_released_forms() -> None:
    """Is the hidden test kept in the record but not in the released source, with both checksums?"""
    nb = make_notebook(
        make_solution_cell("x = 1", "answer"),
        make_grade_cell(
            "assert x\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS", "t", 2
        ),
    )
    ctx = StepContext()
    out = run_pipeline(RELEASE, nb, ctx)
    rec = ctx.instructor_cells["t"]
    assert "assert x == 1" in rec.source and "assert x == 1" not in rec.released_source
    assert rec.checksum != rec.released_checksum and rec.hidden_tests == 1 and rec.points == 2
    assert ctx.order == ["answer", "t"]
    assert out["metadata"]["mlops_grader"] == {
        "instructor_cells": ["answer", "t"],
        "hidden_tests": 1,
    }
    assert ctx.instructor_cells["answer"].source == "# YOUR CODE HERE\nraise NotImplementedError()"
