"""runner: cells in notebook order; test cells scored here, state flowing as in Jupyter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader_helpers import make_cell, make_grade_cell, make_locked_cell, make_notebook

from graders.kernel.session import open_kernel
from graders.runner import run_notebook
from graders.sandbox import Limits
from graders.scoring import TestSpec


def run(nb: dict[str, Any], backend: Any, tmp_path: Path, **kw: Any) -> Any:
    tests = {
        c["metadata"]["nbgrader"]["grade_id"]: TestSpec(
            c["metadata"]["nbgrader"]["grade_id"], c["source"], c["metadata"]["nbgrader"]["points"]
        )
        for c in nb["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
    }
    with open_kernel(backend, workdir=tmp_path, limits=Limits(cell_timeout_s=10)) as client:
        return run_notebook(nb, client, tests, ["import math"], **kw)


def test_each_test_sees_the_state_at_its_position(local_backend: Any, tmp_path: Path) -> None:
    """Does a test placed before a redefinition see the first definition?"""
    nb = make_notebook(
        make_cell("def f():\n    return 1"),
        make_grade_cell("assert f() == 1", "early"),
        make_cell("def f():\n    return 2"),
        make_grade_cell("assert f() == 2", "late"),
    )
    assert [t.passed for t in run(nb, local_backend, tmp_path).tests] == [True, True]


def test_data_defined_in_a_test_cell_flows_on(local_backend: Any, tmp_path: Path) -> None:
    """Do names bound by a test cell reach later student cells and later tests (nbgrader style)?"""
    nb = make_notebook(
        make_locked_cell("import math", "imports"),
        make_grade_cell("data = [1.0, 2.0, 3.0]\nassert len(data) == 3", "setup_test"),
        make_cell("total = sum(data)"),
        make_grade_cell("assert math.isclose(total, sum(data))", "uses_both"),
    )
    outcome = run(nb, local_backend, tmp_path)
    assert [t.passed for t in outcome.tests] == [True, True]


def test_hidden_tests_never_reach_the_student_process(local_backend: Any, tmp_path: Path) -> None:
    """With mirroring on, does the student's process see public test code but never hidden code?"""
    nb = make_notebook(
        make_cell("import sys\nseen = []\nsys.settrace(None)"),
        make_grade_cell(
            "public_marker = 1\n### BEGIN HIDDEN TESTS\nhidden_marker = 2\n### END HIDDEN TESTS",
            "t",
        ),
        make_cell("names = sorted(k for k in globals() if k.endswith('_marker'))"),
        make_grade_cell("assert names == ['public_marker']", "check"),
    )
    assert [t.passed for t in run(nb, local_backend, tmp_path).tests] == [True, True]
