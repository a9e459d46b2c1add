"""compute_checksums: the same checksum nbgrader computes, so nbgrader tools agree with ours."""

from __future__ import annotations

import pytest
from grader_helpers import make_grade_cell, make_locked_cell, make_notebook, make_solution_cell

from graders import cells as C
from graders.steps.base import StepContext
from graders.steps.compute_checksums import ComputeChecksums


def test_checksum_changes_with_source_and_points() -> None:
    """Does editing the code or the points change the checksum?"""
    a = make_grade_cell("assert f(1) == 2", "t", 1)
    b = make_grade_cell("assert f(1) == 3", "t", 1)
    c = make_grade_cell("assert f(1) == 2", "t", 5)
    assert len({C.compute_checksum(a), C.compute_checksum(b), C.compute_checksum(c)}) == 3


def test_checksums_are_written_to_instructor_cells() -> None:
    """Do graded, solution and locked cells all carry a checksum?"""
    nb = make_notebook(
        make_grade_cell("assert 1", "t"),
        make_locked_cell("x = 1", "l"),
        make_solution_cell("y", "s"),
    )
    ComputeChecksums()(nb, StepContext())
    assert all(len(c["metadata"]["nbgrader"]["checksum"]) == 32 for c in nb["cells"])


@pytest.mark.slow  # importing nbgrader takes ~10 s
def test_checksum_is_bit_for_bit_nbgrader() -> None:
    """Is our checksum exactly nbgrader.utils.compute_checksum?"""
    nbgrader_utils = pytest.importorskip("nbgrader.utils", reason="nbgrader not installed")
    import nbformat

    for cell in (
        make_grade_cell("assert f(1) == 2", "t", 2.5),
        make_solution_cell("x", "s"),
        make_locked_cell("y", "l"),
    ):
        node = nbformat.from_dict(cell)
        assert C.compute_checksum(cell) == nbgrader_utils.compute_checksum(node)
