"""scan_leaks + collect_leak_lines: a release that would ship a solution is refused."""

from __future__ import annotations

import pytest
from grader_helpers import make_cell, make_grade_cell, make_notebook, make_solution_cell

from graders.pipelines import RELEASE, run_pipeline
from graders.steps.base import StepContext, StepError
from graders.steps.collect_leak_lines import CollectLeakLines
from graders.steps.scan_leaks import ScanLeaks


def test_normal_release_passes_the_scan() -> None:
    """Does a well-formed notebook release without complaint?"""
    nb = make_notebook(
        make_solution_cell(
            "def f(x):\n    ### BEGIN SOLUTION\n    return x * 12345\n    ### END SOLUTION", "a"
        ),
        make_grade_cell(
            "assert f(1) == 12345\n### BEGIN HIDDEN TESTS\nassert f(2) == 24690\n"
            "### END HIDDEN TESTS",
            "t",
        ),
    )
    out = run_pipeline(RELEASE, nb, StepContext())
    assert "24690" not in str(out) and "x * 12345" not in str(out)


def test_solution_line_copied_into_another_cell_is_caught() -> None:
    """If the author pasted solution code into a plain cell too, is the release refused?"""
    nb = make_notebook(
        make_solution_cell(
            "### BEGIN SOLUTION\nsecret_answer = compute_it(42)\n### END SOLUTION", "a"
        ),
        make_cell("# scratch\nsecret_answer = compute_it(42)"),
    )
    ctx = StepContext(notebook="lab")
    CollectLeakLines()(nb, ctx)
    assert ctx.leak_lines == set()  # the line is public elsewhere, so it is not a secret...
    nb2 = make_notebook(
        make_solution_cell(
            "### BEGIN SOLUTION\nsecret_answer = compute_it(42)\n### END SOLUTION", "a"
        )
    )
    ctx2 = StepContext(notebook="lab")
    CollectLeakLines()(nb2, ctx2)
    leaked = make_notebook(make_cell("secret_answer = compute_it(42)"))
    with pytest.raises(StepError, match="leak"):  # ...but it is once the solution alone holds it
        ScanLeaks()(leaked, ctx2)


def test_marker_left_in_output_is_caught() -> None:
    """Is a hidden-test marker surviving in an output refused?"""
    nb = make_notebook(make_cell("x = 1"))
    nb["cells"][0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "### BEGIN HIDDEN TESTS"}
    ]
    with pytest.raises(StepError, match="BEGIN HIDDEN TESTS"):
        ScanLeaks()(nb, StepContext(notebook="lab"))
