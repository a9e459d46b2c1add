"""lock_cells: instructor cells are locked, student answers are not."""

from __future__ import annotations

from grader_helpers import make_grade_cell, make_locked_cell, make_notebook, make_solution_cell

from graders.steps.base import StepContext
from graders.steps.lock_cells import LockCells


def test_tests_and_read_only_cells_are_locked_answers_are_not() -> None:
    """Are test and read-only cells locked (and non-editable in Jupyter) but answers editable?"""
    nb = make_notebook(
        make_grade_cell("assert 1", "t"),
        make_locked_cell("import math", "imports"),
        make_solution_cell("x = 1", "answer"),
    )
    LockCells()(nb, StepContext())
    test, imports, answer = nb["cells"]
    assert test["metadata"]["nbgrader"]["locked"] and test["metadata"]["editable"] is False
    assert imports["metadata"]["deletable"] is False
    assert not answer["metadata"]["nbgrader"]["locked"] and "editable" not in answer["metadata"]
