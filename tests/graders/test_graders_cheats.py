"""Scores are decided outside the student's process: no cheat earns a point it did not earn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from grader_helpers import insert_after

from graders.autograde import grade_folder
from graders.config import GradeConfig

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

WRONG_CIRCLE = "def circle_area(r):\n    return 3.0"
CHEATS = {
    "patched-allclose": {
        "mean_center_answer": (
            "np.allclose = lambda *a, **k: True\ndef mean_center(x):\n    return x"
        ),
    },
    "patched-isclose": {
        "circle_area_answer": f"math.isclose = lambda *a, **k: True\n{WRONG_CIRCLE}",
    },
    "patched-numpy-testing": {
        "mean_center_answer": (
            "import numpy.testing as npt\nnpt.assert_allclose = lambda *a, **k: None\n"
            "np.allclose = npt.assert_allclose\ndef mean_center(x):\n    return x"
        ),
    },
    "fake-np-object": {
        "mean_center_answer": (
            "class FakeNumpy:\n    def __getattr__(self, name):\n"
            "        return lambda *a, **k: True\n"
            "np = FakeNumpy()\ndef mean_center(x):\n    return x"
        ),
    },
    "always-equal-object": {
        "circle_area_answer": (
            "class Anything:\n    def __eq__(self, other): return True\n"
            "    def __float__(self): return 0.0\ndef circle_area(r):\n    return Anything()"
        ),
    },
    "lying-float-subclass": {
        "circle_area_answer": (
            "class Pi(float):\n    def __eq__(self, other): return True\n"
            "    def __sub__(self, other): return 0.0\n    def __rsub__(self, other): return 0.0\n"
            "    def __abs__(self): return 0.0\n    __hash__ = float.__hash__\n"
            "def circle_area(r):\n    return Pi(1.0)"
        ),
    },
    "patched-builtins": {
        "circle_area_answer": (
            "import builtins\nbuiltins.all = lambda *a: True\nbuiltins.abs = lambda x: 0\n"
            "builtins.AssertionError = type('Never', (Exception,), {})\n" + WRONG_CIRCLE
        ),
    },
}


@pytest.mark.parametrize("name", list(CHEATS))
def test_cheat_earns_nothing(
    name: str, sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Does the cheat leave its target tests failing (the honest answers still score)?"""
    path = submit(name, CHEATS[name])
    result = grade_folder(
        course_dir=sample_course, lab="lab01", folder=path.parent, backend=isolating_backend
    )
    failed = {t.cell for t in result.tests if not t.passed}
    if "mean_center_answer" in CHEATS[name]:
        assert "test_mean_center" in failed
    if "circle_area_answer" in CHEATS[name]:
        assert {"test_circle_area", "test_circle_area_hidden"} <= failed
    lost = sum({"mean_center_answer": 2.0, "circle_area_answer": 2.0}[k] for k in CHEATS[name])
    assert result.status == "graded" and result.total == 8.0 - lost  # honest answers still count


@pytest.mark.parametrize(
    "exit_code",
    ["import os\nos._exit(0)", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)"],
)
def test_dying_before_the_tests_scores_nothing_after(
    exit_code: str,
    sample_course: Path,
    submit: Callable[..., Path],
    released: dict,
    isolating_backend: Any,
) -> None:
    """Does ending the process before the tests leave them unscored, with an error status?"""
    from grader_helpers import SOLUTIONS, fill_answers

    nb = insert_after(fill_answers(released, SOLUTIONS), "imports", exit_code)
    path = submit("quitter", nb=nb)
    result = grade_folder(
        course_dir=sample_course, lab="lab01", folder=path.parent, backend=isolating_backend
    )
    assert result.status == "error:kernel-died" and result.total == 0.0 and result.possible == 8.0
    assert all("not scored" in t.message for t in result.tests)


def test_sys_exit_before_the_tests_does_not_buy_points(
    sample_course: Path, submit: Callable[..., Path], released: dict, isolating_backend: Any
) -> None:
    """Is sys.exit() just a failed cell (as in Jupyter): wrong answers still fail?"""
    from grader_helpers import fill_answers

    nb = insert_after(
        fill_answers(released, {"circle_area_answer": WRONG_CIRCLE}),
        "circle_area_answer",
        "import sys\nsys.exit(0)",
    )
    path = submit("exiter", nb=nb)
    result = grade_folder(
        course_dir=sample_course, lab="lab01", folder=path.parent, backend=isolating_backend
    )
    assert result.total == 0.0


def test_edited_test_cell_is_restored_and_recorded(
    sample_course: Path, submit: Callable[..., Path], released: dict, isolating_backend: Any
) -> None:
    """Does replacing a test by `assert True` earn nothing and get recorded as tampering?"""
    from grader_helpers import fill_answers

    nb = fill_answers(released, {"circle_area_answer": WRONG_CIRCLE})
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("test_circle"):
            cell["source"] = "assert True"
    path = submit("editor", nb=nb)
    result = grade_folder(
        course_dir=sample_course, lab="lab01", folder=path.parent, backend=isolating_backend,
        config=GradeConfig(cell_timeout_s=20),
    )  # fmt: skip
    assert result.status == "tampered:edited-test-cell"
    assert {t.cell for t in result.tests if not t.passed} >= {
        "test_circle_area",
        "test_circle_area_hidden",
    }
