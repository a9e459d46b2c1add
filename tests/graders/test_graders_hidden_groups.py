"""Hidden `# TEST:` groups: their failure messages quote no hidden code, public groups still do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.client import KernelClient
from graders.kernel.session import open_kernel
from graders.sandbox import Limits
from graders.scoring import TestSpec, run_test_cell, trusted_base

TEST = """\
# TEST: public example (1 point)
assert f(2) == 4
### BEGIN HIDDEN TESTS
# TEST: hidden assertion (1 point)
assert f(7) == 49
# TEST: hidden call that raises (1 point)
assert g([3, 1, 2]) == [1, 2, 3]
### END HIDDEN TESTS
"""


@pytest.fixture
def kernel(local_backend: Any, tmp_path: Path) -> Iterator[KernelClient]:
    with open_kernel(local_backend, workdir=tmp_path, limits=Limits(cell_timeout_s=10)) as client:
        yield client


def test_hidden_groups_fail_without_quoting_their_code(kernel: KernelClient) -> None:
    """Does a failing hidden group hide its line, while a failing public group shows it?"""
    kernel.exec("def f(v):\n    return v + 1\ndef g(xs):\n    raise ValueError('nope')")
    results, _ = run_test_cell(TestSpec("t", TEST, 3), kernel, trusted_base([]))
    public, hidden_assert, hidden_raise = results
    assert not public.hidden and "assert f(2) == 4" in public.message
    assert hidden_assert.hidden and hidden_assert.message == "a hidden check failed"
    assert hidden_raise.hidden and "ValueError" in hidden_raise.message
    assert "[3, 1, 2]" not in hidden_raise.message and "49" not in hidden_assert.message
