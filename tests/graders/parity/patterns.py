"""One minimal nbgrader notebook per test-cell pattern of issue 15 (P1-P18), written here.

P19 (a library stub that outlives its notebook and changes later grades) is the P18 notebook
graded as a cohort in two orders (`test_grades_do_not_depend_on_order_or_workers`).

Each pattern is an instructor (source) notebook: a locked set-up cell, one solution cell, and two
or three autograder test cells that use the pattern. Three submissions are made from a release:
``solved`` (the solution), ``blank`` (the release as is) and ``partial`` (an answer that nbgrader
scores as half right: one test cell passes, another fails). P18's ``partial`` answer is the
forbidden shortcut (``np.linalg.solve``) that its hidden test stubs out, so it fails that cell.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pattern:
    """A pattern notebook: set-up, solution, tests (``(source, points)``), a partial answer."""

    name: str
    summary: str
    setup: str
    solution: str
    tests: tuple[tuple[str, float], ...]
    partial: str
    extra_locked: tuple[str, ...] = field(default=())

    def answers(self, variant: str) -> dict[str, str]:
        """What the student wrote in the answer cell for ``variant`` (blank: nothing changed)."""
        return {"solved": {"answer": self.solution}, "partial": {"answer": self.partial}}.get(
            variant, {}
        )


VARIANTS = ("solved", "blank", "partial")

_GAUSS = """\
def solve(A, b):
    A = np.array(A, dtype=float)
    b = np.array(b, dtype=float)
    n = len(b)
    for i in range(n):
        p = i + int(np.argmax(np.abs(A[i:, i])))
        A[[i, p]] = A[[p, i]]
        b[[i, p]] = b[[p, i]]
        for j in range(i + 1, n):
            f = A[j, i] / A[i, i]
            A[j, i:] -= f * A[i, i:]
            b[j] -= f * b[i]
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - A[i, i + 1:] @ x[i + 1:]) / A[i, i]
    return x"""

_SOLVE_TESTS = (
    (
        "A = np.array([[2.0, 1.0], [1.0, 3.0]])\nb = np.array([3.0, 5.0])\n"
        "assert np.allclose(solve(A, b), np.linalg.solve(A, b))",
        1.0,
    ),
    (
        "assert np.allclose(solve(np.eye(2), [1.0, 2.0]), [1.0, 2.0])\n"
        "### BEGIN HIDDEN TESTS\n"
        "np.linalg.solve = None  # the answer must not call np.linalg.solve\n"
        "assert np.allclose(solve(np.array([[4.0, 1.0], [1.0, 2.0]]), [1.0, 2.0]), [0.0, 1.0])\n"
        "### END HIDDEN TESTS",
        1.0,
    ),
)

PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "p01_del_restore",
        "the test deletes and restores a student name (nbgrader's documentation example)",
        "import numpy as np",
        "def squares(n):\n    return [i ** 2 for i in range(1, n + 1)]\n\n"
        "def sum_of_squares(n):\n    return sum(squares(n))",
        (
            ("assert squares(3) == [1, 4, 9]", 1.0),
            (
                "orig_squares = squares\ndel squares\ntry:\n    sum_of_squares(1)\n"
                "except NameError:\n    pass\nelse:\n"
                "    raise AssertionError('sum_of_squares does not use squares')\n"
                "finally:\n    squares = orig_squares\nassert sum_of_squares(3) == 14",
                1.0,
            ),
        ),
        "def squares(n):\n    return [i ** 2 for i in range(1, n + 1)]\n\n"
        "def sum_of_squares(n):\n    return sum(i * i for i in range(1, n + 1))",
    ),
    Pattern(
        "p02_lambda_argument",
        "the test passes its own function (a lambda) into student code",
        "import numpy as np",
        "def newton(f, df, x0, tol=1e-12, maxiter=100):\n    x = x0\n"
        "    for _ in range(maxiter):\n        step = f(x) / df(x)\n        x = x - step\n"
        "        if abs(step) < tol:\n            break\n    return x",
        (
            ("assert newton(lambda x: x - 3.0, lambda x: 1.0, 0.0) == 3.0", 1.0),
            (
                "root = newton(lambda x: x ** 2 - 2, lambda x: 2 * x, 1.0)\n"
                "assert abs(root - 2 ** 0.5) < 1e-8",
                1.0,
            ),
        ),  # fmt: skip
        "def newton(f, df, x0):\n    return x0 - f(x0) / df(x0)",
    ),
    Pattern(
        "p03_test_sets_global",
        "student code reads a global that the test cell sets",
        "import numpy as np",
        "def trace_of_A():\n    return float(np.trace(A))",
        (
            ("A = np.eye(3)\nassert trace_of_A() == 3", 1.0),
            ("A = np.diag([1.0, 2.0])\nassert trace_of_A() == 3", 1.0),
        ),
        "def trace_of_A():\n    return float(A[0, 0] + A[1, 1] + A[2, 2])",
    ),
    Pattern(
        "p04_helper_parameter",
        "a helper def in the test cell has a parameter named like a later test-cell variable",
        "import numpy as np",
        "def total(xs):\n    return sum(xs)",
        (
            (
                "def check(data):\n    return total(data) == sum(data)\n\n"
                "data = [1, 2, 3]\nassert check([4, 5])\nassert total(data) == 6",
                1.0,
            ),
            ("assert total([]) == 0", 1.0),
        ),  # fmt: skip
        "def total(xs):\n    return xs[0] + sum(xs[1:])",
    ),
    Pattern(
        "p05_aliasing",
        "a student list holds a student array: the test compares with the same array",
        "import numpy as np",
        "arr = np.arange(3)\nlst = [1, arr]",
        (("assert lst == [1, arr]", 1.0), ("assert lst[0] == 1", 1.0)),
        "arr = np.arange(3)\nlst = [1, arr.copy()]",
    ),
    Pattern(
        "p06_introspection",
        "introspection of a student object (isinstance, __dict__, dir)",
        "import numpy as np",
        "class Circuit:\n    def __init__(self, r):\n        self.resistance = r\n\n"
        "    def current(self, v):\n        return v / self.resistance\n\nc = Circuit(10.0)",
        (
            (
                "assert isinstance(c, Circuit)\nassert 'resistance' in c.__dict__\n"
                "assert 'current' in dir(c)",
                1.0,
            ),
            ("assert c.current(5.0) == 0.5", 1.0),
        ),  # fmt: skip
        "class Circuit:\n    def __init__(self, r):\n        self.r = r\n\n"
        "    def current(self, v):\n        return v / self.r\n\nc = Circuit(10.0)",
    ),
    Pattern(
        "p07_same_object_two_ways",
        "the same student object reached two ways compares equal (default __eq__ is identity)",
        "import numpy as np",
        "class Account:\n    def __init__(self, owner):\n        self.owner = owner\n\n"
        "alice = Account('alice')\naccounts = {'alice': alice}",
        (
            ("assert accounts['alice'] == alice", 1.0),
            ("assert accounts['alice'].owner == 'alice'", 1.0),
        ),  # fmt: skip
        "class Account:\n    def __init__(self, owner):\n        self.owner = owner\n\n"
        "alice = Account('alice')\naccounts = {'alice': Account('alice')}",
    ),
    Pattern(
        "p08_magic_in_setup",
        "an instructor cell starts with %matplotlib inline",
        "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt",
        "def double(x):\n    return 2 * np.asarray(x)",
        (("assert np.allclose(double([1, 2]), [2, 4])", 1.0), ("assert double(0) == 0", 1.0)),
        "def double(x):\n    return 2 * x",
    ),
    Pattern(
        "p09_student_eq",
        "a student class defines __eq__",
        "import numpy as np",
        "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n\n"
        "    def __eq__(self, other):\n"
        "        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)",
        (("assert Point(1, 2) == Point(1, 2)", 1.0), ("assert Point(1, 2).x == 1", 1.0)),
        "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y",
    ),
    Pattern(
        "p10_pyplot_state",
        "the test reads the student's figure through plt.gca()",
        "import numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt",
        "plt.figure()\nplt.plot([0, 1, 2], [0, 1, 4])",
        (
            ("assert len(plt.gca().lines) == 1", 1.0),
            ("assert list(plt.gca().lines[0].get_ydata()) == [0, 1, 4]", 1.0),
        ),
        "plt.figure()\nplt.plot([0, 1, 2], [0, 1, 2])",
    ),
    Pattern(
        "p11_file_written",
        "the test reads a file that the student's code wrote",
        "import os",
        "with open('answer.txt', 'w') as f:\n    f.write('42\\n')",
        (
            ("assert os.path.exists('answer.txt')", 1.0),
            ("with open('answer.txt') as f:\n    assert f.read().strip() == '42'", 1.0),
        ),
        "with open('answer.txt', 'w') as f:\n    f.write('41\\n')",
    ),
    Pattern(
        "p12_mutation",
        "the student function mutates its argument; the test checks the argument",
        "import numpy as np",
        "def normalize_inplace(v):\n    v /= np.linalg.norm(v)",
        (
            (
                "v = np.array([3.0, 4.0])\nnormalize_inplace(v)\nassert np.allclose(v, [0.6, 0.8])",
                1.0,
            ),
            (
                "w = np.array([0.0, 2.0])\nnormalize_inplace(w)\nassert np.allclose(w, [0.0, 1.0])",
                1.0,
            ),
        ),  # fmt: skip
        "def normalize_inplace(v):\n    v /= v.max()",
    ),
    Pattern(
        "p13_random_seed",
        "the test seeds numpy's global generator and expects the student's draws",
        "import numpy as np",
        "def sample(n):\n    return np.random.rand(n)",
        (
            ("assert sample(3).shape == (3,)", 1.0),
            (
                "np.random.seed(0)\nexpected = np.random.rand(3)\nnp.random.seed(0)\n"
                "assert np.allclose(sample(3), expected)",
                1.0,
            ),
        ),  # fmt: skip
        "def sample(n):\n    return np.random.default_rng().random(n)",
    ),
    Pattern(
        "p14_globals_lookup",
        "the test asks whether a name exists: 'answer' in globals()",
        "import numpy as np",
        "answer = 42",
        (("assert 'answer' in globals()", 1.0), ("assert answer == 42", 1.0)),
        "answer = 41",
    ),
    Pattern(
        "p15_redirect_stdout",
        "the test captures what the student's function prints with redirect_stdout",
        "import io\nimport contextlib",
        "def greet(name):\n    print(f'Hello, {name}!')",
        (
            (
                "buf = io.StringIO()\nwith contextlib.redirect_stdout(buf):\n    greet('Ada')\n"
                "assert buf.getvalue() == 'Hello, Ada!\\n'",
                1.0,
            ),
            ("assert greet('Ada') is None", 1.0),
        ),  # fmt: skip
        "def greet(name):\n    print('Hello', name)",
    ),
    Pattern(
        "p16_timing",
        "the test times 20 calls of a student function on a 32 MB array",
        "import time\nimport numpy as np",
        "def first(xs):\n    return xs[0]",
        (
            (
                "big = np.zeros(4_000_000)\nt0 = time.perf_counter()\nfor _ in range(20):\n"
                "    first(big)\nassert time.perf_counter() - t0 < 0.2",
                1.0,
            ),
            ("assert first(np.array([3, 4])) == 3", 1.0),
        ),  # fmt: skip
        "def first(xs):\n    return xs[1]",
    ),
    Pattern(
        "p17_magics_in_tests",
        "test cells use %time, !cmd, and a cell that is only `ls` (IPython automagic)",
        "import numpy as np",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
        (
            ("%time r = fib(20)\nassert r == 6765", 1.0),
            ("!echo checking fib\nassert fib(0) == 0", 1.0),
            ("ls", 0.5),
        ),
        "def fib(n):\n    return 1 if n < 3 else fib(n - 1) + fib(n - 2)",
    ),
    Pattern(
        "p18_hidden_stub",
        "a hidden test stubs np.linalg.solve = None (anti-cheat); partial takes the shortcut",
        "import numpy as np",
        _GAUSS,
        _SOLVE_TESTS,
        "def solve(A, b):\n    return np.linalg.solve(A, b)",
    ),
)

BY_NAME = {p.name: p for p in PATTERNS}


def _meta(grade_id: str, **flags: Any) -> dict[str, Any]:
    base = {"grade": False, "solution": False, "locked": False, "schema_version": 3}
    return {"nbgrader": {**base, "grade_id": grade_id, **flags}}


def _cell(source: str, meta: dict[str, Any], cell_type: str = "code") -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": cell_type,
        "id": meta.get("nbgrader", {}).get("grade_id", "intro").replace("_", "-"),
        "metadata": meta,
        "source": source,
    }
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def source_notebook(p: Pattern) -> dict[str, Any]:
    """The instructor's notebook of pattern ``p``, in nbgrader's format (schema v3)."""
    cells = [
        _cell(f"# {p.name}\n\n{p.summary}", {}, "markdown"),
        _cell(p.setup, _meta("setup", locked=True)),
        _cell(
            f"### BEGIN SOLUTION\n{p.solution}\n### END SOLUTION", _meta("answer", solution=True)
        ),
    ]
    for i, (code, points) in enumerate(p.tests, 1):
        cells.append(_cell(code, _meta(f"test_{i}", grade=True, locked=True, points=points)))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_sha(p: Pattern) -> str:
    """Fingerprint of the pattern's source notebook: a golden is stale when this changes."""
    return hashlib.sha256(json.dumps(source_notebook(p), sort_keys=True).encode()).hexdigest()[:16]
