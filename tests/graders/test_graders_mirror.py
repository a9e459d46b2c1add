"""Test code sees and changes the student's state as one Jupyter kernel would (as in nbgrader).

Each test is one ordinary nbgrader idiom (issue: nbgrader courses graded unchanged, P1-P18) that
the trusted-process execution must reproduce, while scores stay decided outside the student.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.client import KernelClient
from graders.kernel.session import open_kernel
from graders.sandbox import Limits
from graders.scoring import TestSpec, free_names, run_test_cell, trusted_base


@pytest.fixture
def kernel(local_backend: Any, tmp_path: Path) -> Iterator[KernelClient]:
    with open_kernel(local_backend, workdir=tmp_path, limits=Limits(cell_timeout_s=10)) as client:
        yield client


IMPORTS = "import numpy as np\nimport math"


def score(kernel: KernelClient, student: str, test: str, imports: str = IMPORTS) -> Any:
    assert kernel.exec(student).error is None
    (result,), printed = run_test_cell(TestSpec("t", test, 1.0), kernel, trusted_base([imports]))
    return result, printed


def test_p1_deleting_a_student_name_reaches_the_student(kernel: KernelClient) -> None:
    """nbgrader's own example: does `del squares` make `sum_of_squares` fail, then restore it?"""
    student = (
        "def squares(n):\n    return [i * i for i in range(1, n + 1)]\n"
        "def sum_of_squares(n):\n    return sum(squares(n))"
    )
    test = (
        "orig_squares = squares\ndel squares\ntry:\n    sum_of_squares(1)\nexcept NameError:\n"
        "    pass\nelse:\n    raise AssertionError('sum_of_squares does not use squares')\n"
        "finally:\n    squares = orig_squares\nassert sum_of_squares(2) == 5"
    )
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message
    cheat = (
        "def squares(n):\n    return []\n"
        "def sum_of_squares(n):\n    return n * (n + 1) * (2 * n + 1) // 6"
    )
    result, _ = score(kernel, cheat, test)
    assert not result.passed and "does not use squares" in result.message


def test_p3_a_global_set_by_public_test_code_is_read_by_student_code(kernel: KernelClient) -> None:
    """Does `A = np.eye(3)` in the test reach the global the student's function reads?"""
    result, _ = score(
        kernel,
        "def trace_of_A():\n    return float(A.trace())",
        "A = np.eye(3)\nassert trace_of_A() == 3",
    )
    assert result.passed, result.detail or result.message


def test_p3_hidden_values_never_enter_the_students_process(kernel: KernelClient) -> None:
    """Does a value bound by hidden test code stay out of the sandbox, even if the student's
    function reads a global of that name (it could return the expected answer)?"""
    student = "def f(x):\n    return expected"
    test = "### BEGIN HIDDEN TESTS\nexpected = 42\nassert f(1) == expected\n### END HIDDEN TESTS"
    result, _ = score(kernel, student, test)
    assert not result.passed


def test_p4_a_helper_parameter_does_not_hide_the_students_name() -> None:
    """Is `data` still read from the student when a helper in the test has a `data` parameter?"""
    code = "def total(data):\n    return sum(data)\nassert total(data) == 6"
    assert free_names(code) == ["data"]


def test_p8_a_magic_above_the_instructors_imports(kernel: KernelClient) -> None:
    """Does `%matplotlib inline` in the imports cell leave its imports trusted and working?"""
    result, _ = score(
        kernel, "x = 4.0", "assert math.sqrt(x) == 2", imports="%matplotlib inline\nimport math"
    )
    assert result.passed, result.detail or result.message


def test_p17_magics_in_a_test_cell(kernel: KernelClient) -> None:
    """Do `%time` and `!ls` in a test cell run (or are skipped) instead of failing to parse?"""
    result, _ = score(kernel, "def f(v):\n    return v + 1", "%time y = f(1)\n!ls\nassert y == 2")
    assert result.passed, result.detail or result.message


def test_p9_student_objects_compare_with_their_own_eq(kernel: KernelClient) -> None:
    """Does `Point(1, 2) == Point(1, 2)` use the student's `__eq__`, while an always-equal object
    still never equals a trusted value?"""
    student = (
        "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n"
        "    def __eq__(self, other):\n        return (self.x, self.y) == (other.x, other.y)\n"
        "class Liar:\n    def __eq__(self, other):\n        return True"
    )
    result, _ = score(
        kernel, student, "assert Point(1, 2) == Point(1, 2)\nassert Point(1, 2) != Point(2, 1)"
    )
    assert result.passed, result.detail or result.message
    result, _ = score(kernel, student, "assert Liar() == 42")
    assert not result.passed


def test_p13_seeding_in_a_test_seeds_the_student(kernel: KernelClient) -> None:
    """Does `np.random.seed(0)` in the test make the student's draw reproducible?"""
    student = "import numpy as np\ndef draw():\n    return float(np.random.rand())"
    test = "np.random.seed(0)\nfirst = draw()\nnp.random.seed(0)\nassert draw() == first"
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_p15_redirect_stdout_captures_the_students_print(kernel: KernelClient) -> None:
    """Does the test see what the student's function printed?"""
    test = (
        "import io, contextlib\nbuf = io.StringIO()\nwith contextlib.redirect_stdout(buf):\n"
        "    greet('Ada')\nassert buf.getvalue() == 'Hello, Ada!\\n'"
    )
    result, _ = score(kernel, "def greet(name):\n    print(f'Hello, {name}!')", test)
    assert result.passed, result.detail or result.message


def test_p18_a_stub_in_a_test_reaches_the_students_code(kernel: KernelClient) -> None:
    """Does `np.linalg.solve = None` forbid the shortcut in the student's code?"""
    student = "import numpy as np\ndef solve(a, b):\n    return np.linalg.solve(a, b)"
    test = (
        "np.linalg.solve = None\ntry:\n    solve(np.eye(2), np.ones(2))\nexcept TypeError:\n"
        "    pass\nelse:\n    raise AssertionError('used np.linalg.solve')"
    )
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_p2_a_function_the_test_passes_in_is_called_back(kernel: KernelClient) -> None:
    """Does `newton(lambda x: x**2 - 2, ...)` run the test's lambda for the student's code?"""
    student = (
        "def newton(f, df, x, steps=20):\n    for _ in range(steps):\n"
        "        x = x - f(x) / df(x)\n    return x"
    )
    test = (
        "root = newton(lambda x: x**2 - 2, lambda x: 2 * x, 1.0)\n"
        "assert math.isclose(root, 2 ** 0.5)"
    )
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_p2_a_callback_that_raises_tells_its_type_only(kernel: KernelClient) -> None:
    """Does an exception in the test's function reach the student as its type, without text?"""
    student = (
        "def probe(f):\n    try:\n        f(0)\n    except ZeroDivisionError as e:\n"
        "        return str(e)\n    return 'no error'"
    )
    test = "assert probe(lambda x: 1 / x) == 'raised by the test\\'s function'"
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_p6_student_classes_answer_isinstance_and_introspection(kernel: KernelClient) -> None:
    """Do `isinstance(c, Circuit)`, `issubclass`, `dir(c)` and `c.__dict__` work on student
    objects as in Jupyter?"""
    student = (
        "class Part:\n    pass\nclass Circuit(Part):\n    def __init__(self):\n"
        "        self.r = 2.0\nc = Circuit()\nother = Part()"
    )
    test = (
        "assert isinstance(c, Circuit) and isinstance(c, Part)\n"
        "assert not isinstance(other, Circuit)\nassert issubclass(Circuit, Part)\n"
        "assert 'r' in dir(c)\nassert c.__dict__ == {'r': 2.0}"
    )
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_p14_globals_sees_the_students_names(kernel: KernelClient) -> None:
    """Does `'answer' in globals()` see a name the student defined (and not an undefined one)?"""
    test = (
        "assert 'answer' in globals() and globals()['answer'] == 42\n"
        "assert 'nothing' not in globals() and globals().get('nothing') is None"
    )
    result, _ = score(kernel, "answer = 42", test)
    assert result.passed, result.detail or result.message


def test_p12_a_student_function_that_changes_its_argument(kernel: KernelClient) -> None:
    """Does the test see the list (and array) the student's function sorted in place?"""
    student = "def sort_in_place(xs):\n    xs.sort()\ndef double(a):\n    a *= 2"
    test = (
        "data = [3, 1, 2]\nsort_in_place(data)\nassert data == [1, 2, 3]\n"
        "arr = np.ones(3)\ndouble(arr)\nassert arr.tolist() == [2.0, 2.0, 2.0]"
    )
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_the_failing_line_is_the_tests_own_line(kernel: KernelClient) -> None:
    """With comments, blank lines and a helper def before it, is the failing line named right?"""
    test = (
        "# a comment\n\ndef helper(v):\n    # inside\n    return v\n\n"
        "data = [1]\nassert helper(f(2)) == 5  # the one that fails"
    )
    result, _ = score(kernel, "def f(v):\n    return v + 1", test)
    assert not result.passed and "assert helper(f(2)) == 5" in result.message


def test_student_objects_inside_a_frame_go_back_as_themselves(kernel: KernelClient) -> None:
    """A frame with an object column of the student's own objects (fitted models in lab 4):
    can the test pass it back into the student's code (it crashed the scorer once)?"""
    student = (
        "import pandas as pd\nclass Model:\n    def __init__(self, k):\n        self.k = k\n"
        "models = pd.DataFrame({'name': ['a', 'b'], 'model': [Model(1), Model(2)]})\n"
        "def total(frame):\n    return sum(m.k for m in frame['model'])"
    )
    result, _ = score(kernel, student, "assert total(models) == 3\nassert models.shape == (2, 2)")
    assert result.passed, result.detail or result.message


def test_p10_plt_in_a_test_is_the_students_pyplot(kernel: KernelClient) -> None:
    """Does `plt.gca().lines` in a test see the line the student drew?"""
    student = (
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "plt.figure()\nplt.plot([0, 1, 2], [0, 1, 4])"
    )
    test = (
        "assert len(plt.gca().lines) == 1\nassert list(plt.gca().lines[0].get_ydata()) == [0, 1, 4]"
    )
    imports = "import numpy as np\nimport matplotlib.pyplot as plt"
    result, _ = score(kernel, student, test, imports=imports)
    assert result.passed, result.detail or result.message


def test_public_lines_of_a_mixed_cell_reach_the_student_hidden_lines_do_not(
    kernel: KernelClient,
) -> None:
    """In one nbgrader cell with public and hidden lines: does the public `A` reach a student
    function reading the global, while the hidden `secret` never does?"""
    student = "def trace_of_A():\n    return float(A.trace())\ndef peek():\n    return secret"
    test = (
        "A = np.eye(3)\nassert trace_of_A() == 3\n### BEGIN HIDDEN TESTS\n"
        "secret = 42\ntry:\n    peek()\nexcept NameError:\n    pass\nelse:\n"
        "    raise AssertionError('hidden value reached the student')\n### END HIDDEN TESTS"
    )
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_a_hidden_input_passed_to_the_student_is_the_global_it_reads(kernel: KernelClient) -> None:
    """A real course's solution reads the global `A` instead of its parameter `a`, and the hidden
    test rebinds `A` then calls `power_iter(A, x)`: in one kernel the function sees the hidden
    matrix. Does it here (the call discloses that value anyway)?"""
    student = "import numpy as np\ndef power_iter(a, x):\n    return float(np.trace(A))"
    test = (
        "A = np.eye(2)\nassert power_iter(A, 1) == 2\n### BEGIN HIDDEN TESTS\n"
        "A = 3 * np.eye(3)\nassert power_iter(A, 1) == 9\n### END HIDDEN TESTS"
    )
    result, _ = score(kernel, student, test)
    assert result.passed, result.detail or result.message


def test_a_hidden_value_the_test_does_not_pass_in_stays_out(kernel: KernelClient) -> None:
    """A hidden input passed in is bound for the student's globals, but the expected value of the
    same cell, never passed in, is not: a function returning the global `expected` fails."""
    student = "expected = None\ndef f(x):\n    return expected"
    test = (
        "### BEGIN HIDDEN TESTS\nx = [1, 2]\nexpected = 42\nassert f(x) == expected\n"
        "### END HIDDEN TESTS"
    )
    result, _ = score(kernel, student, test)
    assert not result.passed


def test_nbgrader_partial_credit_from_the_tests_last_number(kernel: KernelClient) -> None:
    """nbgrader's partial credit: a test cell whose last expression is a number the test computed
    (`credit / total`) earns that many points, as in kcranston's autograding demo."""
    test = (
        "credit = 0\nif value > 1:\n    credit += 1\nif value > 100:\n    credit += 1\ncredit / 2"
    )
    result, _ = score(kernel, "value = 5", test)
    assert (result.points, result.max_points) == (0.5, 1.0) and "partial credit" in result.message
    result, _ = score(kernel, "value = 500", test)
    assert result.points == 1.0 and result.passed


def test_a_students_value_as_the_last_expression_is_not_partial_credit(
    kernel: KernelClient,
) -> None:
    """A cell ending with the student's own name would let the student choose the points: that
    value is not partial credit (the test passed: full points, as for any other value)."""
    result, _ = score(kernel, "answer = 0.01", "assert answer < 1\nanswer")
    assert result.points == 1.0 and result.passed


def test_nbgrader_stderr_of_the_test_code_fails_the_cell(kernel: KernelClient) -> None:
    """nbgrader scores 0 a test cell whose test code writes to stderr (`traceback.print_exc()`),
    but the student's own printing never costs points."""
    test = "import traceback\ntry:\n    f(0)\nexcept ZeroDivisionError:\n    traceback.print_exc()"
    result, _ = score(kernel, "def f(x):\n    return 1 / x", test)
    assert not result.passed and "stderr" in result.message
    loud = "import sys\ndef f(x):\n    print('oops', file=sys.stderr)\n    return 1"
    result, _ = score(kernel, loud, test)
    assert result.passed, result.message


def test_p16_the_tests_clock_leaves_out_moving_its_arguments(kernel: KernelClient) -> None:
    """A test timing 20 calls of `first(big)` (32 MB) reads a clock that leaves out moving `big`
    between the two processes (it read ~14 s under load before, for ~0 s of student work); a slow
    student function (20 × 20 ms asleep) is still seen as slow. What stays on the clock is one
    copy and one comparison of `big` per call in the student's process, to see whether the
    student's code changed it (nbgrader's own timing is microseconds: KNOWN_GAPS P16)."""
    test = (
        "import time\nbig = np.zeros(4_000_000)\nt0 = time.perf_counter()\n"
        "for _ in range(20):\n    first(big)\nelapsed = time.perf_counter() - t0\n"
        "print(elapsed)\nassert elapsed < LIMIT, elapsed"
    )
    fast = "def first(xs):\n    return xs[0]"
    result, printed = score(kernel, fast, test.replace("LIMIT", "3.0"))
    assert result.passed, (result.detail or result.message, printed)
    slow = "import time\ndef first(xs):\n    time.sleep(0.02)\n    return xs[0]"
    result, printed = score(kernel, slow, test.replace("LIMIT", "0.4"))
    assert not result.passed, printed


def test_traceback_imported_in_a_students_cell_prints_the_tests_exception(
    kernel: KernelClient,
) -> None:
    """kcranston's demo imports `traceback` in an ordinary (student-editable) cell and calls
    `traceback.print_exc()` in a test cell: it prints the test's exception to the test's stderr,
    which nbgrader scores 0, never the student's process's (empty) exception."""
    test = "d = 0\ntry:\n    1 / d\nexcept ZeroDivisionError:\n    traceback.print_exc()"
    result, _ = score(kernel, "import traceback", test, imports="import numpy as np")
    assert not result.passed and "ZeroDivisionError" in result.detail
