"""clear_hidden_tests: hidden tests disappear, only their count remains."""

from __future__ import annotations

from grader_helpers import make_grade_cell, make_notebook

from graders.steps.base import StepContext
from graders.steps.clear_hidden_tests import ClearHiddenTests


def test_hidden_region_is_removed_and_counted() -> None:
    """Is the hidden code gone, with only `mlops_grader.hidden_tests` left behind?"""
    cell = make_grade_cell(
        "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(10) == 20\n### END HIDDEN TESTS", "t"
    )
    nb = ClearHiddenTests()(make_notebook(cell), StepContext())
    assert nb["cells"][0]["source"] == "assert f(1) == 2"
    assert nb["cells"][0]["metadata"]["mlops_grader"] == {"hidden_tests": 1}


def test_hidden_groups_are_counted_one_by_one() -> None:
    """With `# TEST:` groups inside the hidden region, is each group counted?"""
    src = (
        "# TEST: public (1 point)\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\n"
        "# TEST: big (1 point)\nassert f(10) == 20\n# TEST: neg (1 point)\nassert f(-1) == -2\n"
        "### END HIDDEN TESTS"
    )
    nb = ClearHiddenTests()(make_notebook(make_grade_cell(src, "t", 3)), StepContext())
    assert nb["cells"][0]["metadata"]["mlops_grader"]["hidden_tests"] == 2
    assert "f(10)" not in nb["cells"][0]["source"] and "neg" not in nb["cells"][0]["source"]


def test_cells_without_hidden_tests_get_no_count() -> None:
    """Does a public-only test cell stay free of our metadata?"""
    nb = ClearHiddenTests()(make_notebook(make_grade_cell("assert 1", "t")), StepContext())
    assert "mlops_grader" not in nb["cells"][0]["metadata"]
