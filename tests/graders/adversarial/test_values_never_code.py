"""A student value never becomes code in the grader: library callables a student binds stay proxies.

Each case binds a name the test calls to a dangerous library function and feeds it an argument the
student controls. Before the fix the trusted decoder swapped the proxy for the real function and
the *test* called it in the grading process, as root (issue: grade integrity II, item 1).
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.client import KernelClient
from graders.kernel.session import open_kernel
from graders.sandbox import Limits
from graders.scoring import TestSpec, run_test_cell, trusted_base

pytestmark = [pytest.mark.sandbox]


@pytest.fixture
def kernel(isolating_backend: Any, tmp_path: Path) -> Iterator[KernelClient]:
    work = tmp_path / "work"
    work.mkdir()
    with open_kernel(isolating_backend, workdir=work, limits=Limits(cell_timeout_s=20)) as client:
        yield client


def score(kernel: KernelClient, student: str, test: str) -> Any:
    assert kernel.exec(student).error is None
    base = trusted_base(["import math\nimport numpy as np\nimport pandas as pd"])
    (result,), _ = run_test_cell(TestSpec("t", test, 1.0), kernel, base)
    return result


def test_os_system_runs_in_the_sandbox_not_here(kernel: KernelClient, tmp_path: Path) -> None:
    """`standardize = os.system` and a command in X_train: does the command stay in the sandbox?"""
    canary = tmp_path / "pwned"
    student = f"import os\nstandardize = os.system\nX_train = 'touch {canary}'"
    score(kernel, student, "Z = standardize(X_train)")
    assert not canary.exists()


def test_eval_cannot_patch_the_graders_libraries(kernel: KernelClient) -> None:
    """`check = eval` with a payload that patches math.isclose: is the grader's math untouched?"""
    student = (
        "check = eval\npayload = \"setattr(__import__('math'), 'isclose', lambda *a, **k: True)\""
    )
    isclose = math.isclose
    result = score(kernel, student, "check(payload)\nassert not math.isclose(1.0, 2.0)")
    assert result.passed and math.isclose is isclose and not math.isclose(1.0, 2.0)


def test_read_pickle_unpickles_in_the_sandbox(kernel: KernelClient, tmp_path: Path) -> None:
    """`load = pd.read_pickle` on a file in the work dir: is the pickle executed only there?"""
    canary = tmp_path / "pwned-pickle"

    class Payload:
        def __reduce__(self) -> Any:
            return (Path.touch, (canary,))

    model = tmp_path / "work" / "model.pkl"
    model.write_bytes(pickle.dumps(Payload()))
    student = f"import pandas as pd\nload = pd.read_pickle\npath = {str(model)!r}"
    score(kernel, student, "load(path)")
    assert not canary.exists()


def test_fromfile_cannot_read_the_graders_files(kernel: KernelClient, tmp_path: Path) -> None:
    """`read = np.fromfile` on the instructor's notebook: does the test only see what the
    sandbox can read (nothing of the host)?"""
    secret = tmp_path / "source.ipynb"
    secret.write_text("### BEGIN HIDDEN TESTS secret")
    student = f"import numpy as np\nread = np.fromfile\npath = {str(secret)!r}"
    result = score(kernel, student, "data = read(path, dtype=np.uint8)\nprint(data.tobytes())")
    assert not result.passed and "FileNotFoundError" in result.message


def test_os_exit_ends_only_the_students_process(kernel: KernelClient) -> None:
    """`finish = os._exit`: does calling it end the student's process, never the grader's?"""
    result = score(kernel, "import os\nfinish = os._exit", "finish(0)")
    assert not result.passed and "stopped" in result.message
    assert kernel.gone is not None and kernel.gone.reason == "kernel-died"


def test_library_classes_still_answer_isinstance(kernel: KernelClient) -> None:
    """Does `isinstance(model, LogisticRegression)` hold when both names come from the student?"""
    student = (
        "from sklearn.linear_model import LogisticRegression\n"
        "model = LogisticRegression()\nnumbers = [1, 2]"
    )
    test = (
        "assert isinstance(model, LogisticRegression)\n"
        "assert not isinstance(numbers, LogisticRegression)\n"
        "assert model.get_params()['C'] == 1.0"
    )
    result = score(kernel, student, test)
    assert result.passed, result.detail or result.message
