"""detect_tampering: every change to an instructor cell is named, against the gradebook record."""

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

from graders.pipelines import RELEASE, run_pipeline
from graders.steps.base import StepContext
from graders.steps.detect_tampering import DetectTampering


@pytest.fixture
def released() -> tuple[dict[str, Any], StepContext]:
    nb = make_notebook(
        make_locked_cell("import math", "imports"),
        make_solution_cell(
            "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "answer"
        ),
        make_grade_cell(
            "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS",
            "test_f",
            2,
        ),
    )
    ctx = StepContext(notebook="lab")
    return run_pipeline(RELEASE, nb, ctx), ctx


def detect(nb: dict[str, Any], ctx: StepContext) -> list[str]:
    fresh = StepContext(notebook="lab", instructor_cells=ctx.instructor_cells, order=ctx.order)
    DetectTampering()(copy.deepcopy(nb), fresh)
    return fresh.tampering


def test_untouched_submission_has_no_findings(released: tuple[dict[str, Any], StepContext]) -> None:
    """Does an honest submission (answer filled in, cells added) raise nothing?"""
    nb, ctx = released
    nb["cells"][1]["source"] = "def f(x):\n    return x + x"
    nb["cells"].insert(2, make_cell("print(f(3))"))
    assert detect(nb, ctx) == []


def test_deleted_test_cell(released: tuple[dict[str, Any], StepContext]) -> None:
    """Is a deleted test cell named?"""
    nb, ctx = released
    del nb["cells"][2]
    assert detect(nb, ctx) == ["deleted-test-cell:test_f"]


def test_edited_test_cell(released: tuple[dict[str, Any], StepContext]) -> None:
    """Is an edited test cell named?"""
    nb, ctx = released
    nb["cells"][2]["source"] = "assert True"
    assert detect(nb, ctx) == ["edited-test-cell:test_f"]


def test_edited_locked_cell(released: tuple[dict[str, Any], StepContext]) -> None:
    """Is an edited read-only cell named?"""
    nb, ctx = released
    nb["cells"][0]["source"] = "import math\nmath.isclose = lambda *a, **k: True"
    assert detect(nb, ctx) == ["edited-locked-cell:imports"]


def test_changed_points(released: tuple[dict[str, Any], StepContext]) -> None:
    """Is a test cell whose points were raised named as changed metadata?"""
    nb, ctx = released
    nb["cells"][2]["metadata"]["nbgrader"]["points"] = 100
    assert detect(nb, ctx) == ["changed-metadata:test_f"]


def test_changed_grade_id_is_matched_by_cell_id(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """Is a renamed test cell recognized (by its cell id) as changed metadata, not a new cell?"""
    nb, ctx = released
    nb["cells"][2]["metadata"]["nbgrader"]["grade_id"] = "free_points"
    assert detect(nb, ctx) == ["changed-metadata:test_f"]


def test_duplicate_and_forged_grade_cells(released: tuple[dict[str, Any], StepContext]) -> None:
    """Are a copied test cell and a student cell claiming a new grade_id both named?"""
    nb, ctx = released
    nb["cells"].append(copy.deepcopy(nb["cells"][2]))
    nb["cells"].append(make_grade_cell("assert True", "bonus", 10))
    assert detect(nb, ctx) == ["duplicate-grade-id:test_f", "added-grade-cell:bonus"]


def test_reordered_cells(released: tuple[dict[str, Any], StepContext]) -> None:
    """Is a test moved above the answer named as reordered?"""
    nb, ctx = released
    nb["cells"] = [nb["cells"][0], nb["cells"][2], nb["cells"][1]]
    assert detect(nb, ctx) == ["reordered-cells:notebook"]


def test_trailing_whitespace_is_not_tampering(released: tuple[dict[str, Any], StepContext]) -> None:
    """Does an editor's trailing newline leave a test cell unflagged?"""
    nb, ctx = released
    nb["cells"][2]["source"] += "\n\n"
    assert detect(nb, ctx) == []


def test_metadata_an_older_nbgrader_wrote_is_not_tampering(
    released: tuple[dict[str, Any], StepContext],
) -> None:
    """Is a test cell with `locked: false`, float points and a `cell_type` key (what nbgrader's
    own example submissions carry) accepted, while a changed `grade` flag is still caught?"""
    nb, ctx = released
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            meta.update(locked=False, cell_type="code", points=float(meta.get("points", 0)))
    assert detect(nb, ctx) == []
    test_cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade"))
    test_cell["metadata"]["nbgrader"]["grade"] = False
    assert detect(nb, ctx) != []
