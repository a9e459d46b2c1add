"""scoring: test code runs here, reading the student's values; partial credit per group."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.client import KernelClient
from graders.kernel.session import open_kernel
from graders.sandbox import Limits
from graders.scoring import TestSpec, free_names, run_test_cell, trusted_base


def test_free_names_are_what_the_test_reads_from_the_student() -> None:
    """Are loaded-but-unbound names found, and locals, imports, builtins and args left out?"""
    code = (
        "import numpy as np\nexpected = f(2)\nassert all(g(x) == y for x, y in cases)\n"
        "def helper(a):\n    return a + model.bias\nassert len(expected) == 3"
    )
    assert sorted(free_names(code)) == ["cases", "f", "g", "model"]


@pytest.fixture
def kernel(local_backend: Any, tmp_path: Path) -> Iterator[KernelClient]:
    with open_kernel(local_backend, workdir=tmp_path, limits=Limits(cell_timeout_s=10)) as client:
        yield client


def score(kernel: KernelClient, student: str, test: str, points: float = 3) -> list[Any]:
    kernel.exec(student)
    results, _ = run_test_cell(
        TestSpec("t", test, points), kernel, trusted_base(["import numpy as np"])
    )
    return results


def test_groups_give_partial_credit(kernel: KernelClient) -> None:
    """With `# TEST:` groups, does each group earn its own points?"""
    test = (
        "x = 4\n# TEST: square (2 points)\nassert sq(x) == 16\n"
        "# TEST: negative\nassert sq(-x) == 16\n# TEST: float\nassert sq(0.5) == 0.25"
    )
    results = score(kernel, "def sq(v):\n    return v * v if v > 0 else 0", test, points=4)
    assert [(r.name, r.points, r.max_points, r.passed) for r in results] == [
        ("t::square", 2.0, 2.0, True),
        ("t::negative", 0.0, 1.0, False),
        ("t::float", 1.0, 1.0, True),
    ]
    assert "assert sq(-x) == 16" in results[1].message


def test_cell_without_groups_is_all_or_nothing(kernel: KernelClient) -> None:
    """Is a plain nbgrader test cell worth all its points or none (as in nbgrader)?"""
    results = score(kernel, "def f(v):\n    return v + 1", "assert f(1) == 2\nassert f(2) == 4")
    assert [(r.name, r.points, r.passed) for r in results] == [("t", 0.0, False)]


def test_warnings_and_prints_never_cost_points(kernel: KernelClient) -> None:
    """Does a passing test that warns and prints (in the student's code and the test) score?"""
    student = (
        "import warnings\ndef f():\n    warnings.warn('deprecated!')\n    print('noise')\n"
        "    return 1"
    )
    test = "import warnings\nwarnings.warn('test warns too')\nprint('checking')\nassert f() == 1"
    assert [r.passed for r in score(kernel, student, test)] == [True]


def test_monkeypatched_numpy_does_not_reach_the_test(kernel: KernelClient) -> None:
    """If the student replaces np.allclose and rebinds np, does the test still use real numpy?"""
    student = (
        "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
        "class FakeNp:\n    def allclose(self, *a, **k): return True\nnp = FakeNp()\n"
        "def f(x):\n    return [0, 0]"
    )
    results = score(kernel, student, "assert np.allclose(f(1), [1, 2])")
    assert not results[0].passed


def test_hidden_failure_messages_reveal_nothing(kernel: KernelClient) -> None:
    """Does a failing hidden check say so without quoting its code or its message?"""
    test = "### BEGIN HIDDEN TESTS\nassert f(7) == 49, 'expected 49 for 7'\n### END HIDDEN TESTS"
    results = score(kernel, "def f(v):\n    return v", test)
    assert results[0].hidden and results[0].message == "a hidden check failed"


def test_missing_function_says_what_is_missing(kernel: KernelClient) -> None:
    """Does a test of an undefined function fail with a plain reason?"""
    results = score(kernel, "x = 1", "assert solve(3) == 9")
    assert "'solve' is not defined" in results[0].message


def test_a_test_that_swallows_the_kernels_death_still_fails(kernel: KernelClient) -> None:
    """If test code catches everything (bare except) while the student's process dies, no pass?"""
    student = "import os\ndef f(x):\n    os._exit(0)"
    test = "try:\n    f(-1)\nexcept:\n    pass"
    results = score(kernel, student, test)
    assert not results[0].passed and "not scored" in results[0].message


def test_self_similar_object_exhausts_the_call_budget_quickly(kernel: KernelClient) -> None:
    """Does an object whose items are itself fail its test fast instead of burning the wall time?"""
    student = (
        "class Loop:\n    def __eq__(self, o): return True\n    def __len__(self): return 3\n"
        "    def __getitem__(self, i): return self\ndef f():\n    return Loop()"
    )
    started = time.monotonic()
    results = score(kernel, student, "assert np.allclose(f(), [1, 2, 3])")
    assert not results[0].passed and "too many" in results[0].message
    assert time.monotonic() - started < 60  # a hang guard; "too many" above says it failed fast
