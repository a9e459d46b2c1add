"""clear_outputs: released and autograded notebooks start without outputs."""

from __future__ import annotations

from grader_helpers import make_cell, make_notebook

from graders.steps.base import StepContext
from graders.steps.clear_outputs import ClearOutputs


def test_outputs_and_counts_are_cleared() -> None:
    """Are a code cell's outputs and execution count emptied?"""
    cell = make_cell("print(1)")
    cell.update(
        outputs=[{"output_type": "stream", "name": "stdout", "text": "1"}], execution_count=3
    )
    nb = ClearOutputs()(make_notebook(cell), StepContext())
    assert nb["cells"][0]["outputs"] == [] and nb["cells"][0]["execution_count"] is None
