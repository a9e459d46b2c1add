"""check_markers: a broken source notebook is refused, naming the cell."""

from __future__ import annotations

import pytest
from grader_helpers import make_grade_cell, make_locked_cell, make_notebook, make_solution_cell

from graders.steps.base import StepContext, StepError
from graders.steps.check_markers import CheckMarkers


def run(*cells: dict) -> None:
    CheckMarkers()(make_notebook(*cells), StepContext(notebook="lab"))


def test_balanced_markers_pass() -> None:
    """Does a well-formed notebook go through untouched?"""
    run(
        make_solution_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "a"
        ),
        make_grade_cell(
            "assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f()\n### END HIDDEN TESTS", "t"
        ),
    )


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
    ],
)
def test_unbalanced_solution_markers_name_the_cell(source: str, words: str) -> None:
    """Is an unbalanced solution marker refused with the cell's grade_id in the message?"""
    with pytest.raises(StepError, match=rf"cell 'answer_1'.*{words}"):
        run(make_solution_cell(source, "answer_1"))


def test_unclosed_hidden_tests_are_refused() -> None:
    """Is an unclosed hidden-tests region refused?"""
    with pytest.raises(StepError, match="test_q1.*never closed"):
        run(make_grade_cell("assert True\n### BEGIN HIDDEN TESTS\nassert 1", "test_q1"))


def test_duplicate_grade_id_is_refused() -> None:
    """Is a grade_id used twice refused, naming both places?"""
    with pytest.raises(StepError, match="'t1' already used by cell #1"):
        run(make_grade_cell("assert 1", "t1"), make_grade_cell("assert 2", "t1"))


def test_graded_cell_without_points_is_refused() -> None:
    """Is a graded cell without points refused?"""
    with pytest.raises(StepError, match="t1.*no points"):
        run(make_grade_cell("assert 1", "t1", points=None))


def test_negative_points_are_refused() -> None:
    """Are negative points refused?"""
    with pytest.raises(StepError, match="non-negative"):
        run(make_grade_cell("assert 1", "t1", points=-1))


def test_solution_markers_outside_a_solution_cell_are_refused() -> None:
    """Would a solution region in a locked cell (which is never stubbed) be refused?"""
    with pytest.raises(StepError, match="not marked as a solution"):
        run(make_locked_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "setup"))


def test_hidden_markers_outside_a_graded_cell_are_refused() -> None:
    """Would hidden tests in an ungraded cell be refused?"""
    with pytest.raises(StepError, match="not graded"):
        run(make_locked_cell("### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS", "setup"))


def test_groups_claiming_more_points_than_the_cell_are_refused() -> None:
    """Are `# TEST:` groups worth more than their cell refused?"""
    with pytest.raises(StepError, match="claim 5 points, cell has 2"):
        run(
            make_grade_cell(
                "# TEST: a (3 points)\nassert 1\n# TEST: b (2 points)\nassert 1", "t", 2
            )
        )
