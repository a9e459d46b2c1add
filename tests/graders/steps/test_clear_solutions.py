"""clear_solutions: solutions become nbgrader's stubs."""

from __future__ import annotations

from grader_helpers import make_locked_cell, make_notebook, make_solution_cell

from graders.steps.base import StepContext
from graders.steps.clear_solutions import ClearSolutions


def test_region_is_replaced_by_an_indented_stub() -> None:
    """Does a marked region become `# YOUR CODE HERE` + `raise NotImplementedError()`, indented?"""
    nb = make_notebook(
        make_solution_cell(
            "def f(x):\n    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION\n", "a"
        )
    )
    ClearSolutions()(nb, StepContext())
    assert nb["cells"][0]["source"] == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


def test_unmarked_solution_cells_become_stubs() -> None:
    """Do solution cells without markers become the whole stub (code and markdown)?"""
    nb = make_notebook(
        make_solution_cell("x = 42", "code"), make_solution_cell("The answer.", "md", "markdown")
    )
    ClearSolutions()(nb, StepContext())
    assert nb["cells"][0]["source"] == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert nb["cells"][1]["source"] == "YOUR ANSWER HERE"


def test_other_cells_are_untouched() -> None:
    """Is a locked cell without markers left exactly as written?"""
    nb = make_notebook(make_locked_cell("import numpy as np", "imports"))
    ClearSolutions()(nb, StepContext())
    assert nb["cells"][0]["source"] == "import numpy as np"
