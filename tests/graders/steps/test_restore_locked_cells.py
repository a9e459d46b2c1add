"""restore_locked_cells: tests run as recorded, whatever the student did to them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from grader_helpers import (
    make_cell,
    make_grade_cell,
    make_locked_cell,
    make_notebook,
    make_solution_cell,
)

from graders import cells as C
from graders.pipelines import RELEASE, run_pipeline
from graders.steps.base import StepContext
from graders.steps.restore_locked_cells import RestoreLockedCells

HIDDEN = "assert f(5) == 10"


@pytest.fixture
def released() -> tuple[dict[str, Any], StepContext]:
    nb = make_notebook(
        make_locked_cell("import math", "imports"),
        make_solution_cell(
            "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "answer"
        ),
        make_grade_cell(
            f"assert f(1) == 2\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS", "test_f", 2
        ),
    )
    ctx = StepContext(notebook="lab")
    return run_pipeline(RELEASE, nb, ctx), ctx


def restore(nb: dict[str, Any], ctx: StepContext) -> list[dict[str, Any]]:
    fresh = StepContext(notebook="lab", instructor_cells=ctx.instructor_cells, order=ctx.order)
    return RestoreLockedCells()(copy.deepcopy(nb), fresh)["cells"]


def test_edited_test_comes_back_with_its_hidden_tests(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """Is an edited test replaced by the recorded one, hidden tests included?"""
    nb, ctx = released
    nb["cells"][2]["source"] = "assert True"
    cells = restore(nb, ctx)
    assert HIDDEN in cells[2]["source"] and "assert f(1) == 2" in cells[2]["source"]


def test_deleted_test_is_put_back_after_the_answer(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """Does a deleted test cell come back, after the answer and the student's own cells?"""
    nb, ctx = released
    del nb["cells"][2]
    nb["cells"].insert(2, make_cell("print('mine')"))
    cells = restore(nb, ctx)
    assert [C.grade_id(c) for c in cells] == ["imports", "answer", None, "test_f"]


def test_answer_is_kept_but_forged_metadata_is_reset(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """Is the student's answer kept while their edit of its metadata is undone?"""
    nb, ctx = released
    nb["cells"][1]["source"] = "def f(x):\n    return x * 2"
    nb["cells"][1]["metadata"]["nbgrader"].update(grade=True, points=50)
    cells = restore(nb, ctx)
    assert cells[1]["source"] == "def f(x):\n    return x * 2"
    assert not C.is_grade(cells[1])


def test_forged_and_duplicate_cells_become_plain_student_cells(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """Do a copied test cell and an invented grade cell lose their nbgrader role?"""
    nb, ctx = released
    nb["cells"].append(copy.deepcopy(nb["cells"][2]))
    nb["cells"].append(make_grade_cell("assert True", "bonus", 10))
    cells = restore(nb, ctx)
    assert [C.grade_id(c) for c in cells] == ["imports", "answer", "test_f", None, None]


def test_reordered_cells_are_put_back_in_order(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """Does a test moved above the answer run after it again?"""
    nb, ctx = released
    nb["cells"] = [nb["cells"][0], nb["cells"][2], nb["cells"][1]]
    assert [C.grade_id(c) for c in restore(nb, ctx)] == ["imports", "answer", "test_f"]


def test_answer_written_in_another_cell_is_not_overridden(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """If the student deleted the answer cell and wrote f elsewhere, is no stub put back?"""
    nb, ctx = released
    del nb["cells"][1]
    nb["cells"].insert(1, make_cell("def f(x):\n    return 2 * x"))
    cells = restore(nb, ctx)
    assert [C.source(c) for c in cells].count("# YOUR CODE HERE\nraise NotImplementedError()") == 0
    assert [C.grade_id(c) for c in cells] == ["imports", None, "test_f"]
