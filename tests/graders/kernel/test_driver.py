"""The driver and its client: cells run in the student's process, values come back as data."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.kernel.client import KernelClient, KernelDied, KernelTimeout, RemoteError
from graders.kernel.session import open_kernel
from graders.sandbox import Limits


@pytest.fixture
def kernel(local_backend: Any, tmp_path: Path) -> Iterator[KernelClient]:
    with open_kernel(local_backend, workdir=tmp_path, limits=Limits(cell_timeout_s=10)) as client:
        yield client


def test_prints_go_to_captured_output_not_the_protocol(kernel: KernelClient) -> None:
    """Do print, raw fd writes and stderr all land in the cell's output?"""
    res = kernel.exec(
        "import os, sys\nprint('one')\nos.write(1, b'two\\n')\nsys.stderr.write('three\\n')\n4"
    )
    assert res.ok
    assert all(word in res.stdout for word in ("one", "two", "three", "4"))


def test_errors_are_reported_and_the_kernel_keeps_going(kernel: KernelClient) -> None:
    """Does a failing cell report its exception while later cells still run?"""
    res = kernel.exec("1 / 0")
    assert not res.ok and res.error and res.error["type"] == "ZeroDivisionError"
    assert kernel.exec("x = 5").ok and kernel.get(["x"]) == {"x": 5}


def test_get_returns_plain_data_and_skips_missing_names(kernel: KernelClient) -> None:
    """Are values plain data, and unknown names simply absent?"""
    kernel.exec("import numpy as np\na = np.linspace(0, 1, 3)\nb = {'k': (1, float('nan'))}")
    values = kernel.get(["a", "b", "nope"])
    assert list(values["a"]) == [0.0, 0.5, 1.0] and "nope" not in values
    assert math.isnan(values["b"]["k"][1])


def test_calls_run_in_the_student_process(kernel: KernelClient) -> None:
    """Does calling a student function run it there and return data, exceptions included?"""
    kernel.exec(
        "import os\ndef where():\n    return os.getpid()\n"
        "def bad(x):\n    raise ValueError(f'no {x}')"
    )
    fns = kernel.get(["where", "bad"])
    assert fns["where"]() != __import__("os").getpid()
    with pytest.raises(ValueError, match="no 3"):
        fns["bad"](3)


def test_custom_exceptions_arrive_as_remote_errors(kernel: KernelClient) -> None:
    """Is an exception class defined by the student reported without importing it?"""
    kernel.exec("class Oops(Exception):\n    pass\ndef f():\n    raise Oops('boom')")
    with pytest.raises(RemoteError, match="Oops: boom"):
        kernel.get(["f"])["f"]()


def test_objects_are_proxies_with_identity_equality(kernel: KernelClient) -> None:
    """Is an always-equal object unequal on the trusted side, yet usable through its methods?"""
    kernel.exec(
        "class Box:\n    def __init__(self): self.items = [1, 2]\n"
        "    def __eq__(self, o): return True\n    def __len__(self): return 2\n"
        "    def total(self): return sum(self.items)\nbox = Box()"
    )
    box = kernel.get(["box"])["box"]
    assert box != 3 and (box == [1, 2]) is False
    assert box.total() == 3 and box.items == [1, 2] and len(box) == 2


def test_magics_work(kernel: KernelClient) -> None:
    """Do IPython magics and shell escapes run (the driver switches to IPython when needed)?"""
    res = kernel.exec("%time y = 21 * 2")
    assert res.ok, res
    assert kernel.get(["y"]) == {"y": 42}


def test_timeout_kills_the_process(kernel: KernelClient) -> None:
    """Does a cell that never ends raise KernelTimeout within the limit, and stay dead?"""
    kernel.cell_timeout_s = 0.5
    with pytest.raises(KernelTimeout):
        kernel.exec("while True:\n    pass")
    with pytest.raises(KernelTimeout):
        kernel.get(["x"])


def test_exit_is_a_dead_kernel(kernel: KernelClient) -> None:
    """Does os._exit in a cell end as KernelDied (which `except Exception` cannot catch)?"""
    with pytest.raises(KernelDied):
        kernel.exec("import os\nos._exit(0)")
    assert not issubclass(KernelDied, Exception)


def test_sys_exit_in_a_cell_does_not_kill_the_kernel(kernel: KernelClient) -> None:
    """Is sys.exit() in a cell an error of that cell, as in Jupyter?"""
    res = kernel.exec("import sys\nsys.exit(3)")
    assert not res.ok and res.error and res.error["type"] == "SystemExit"
    assert kernel.exec("z = 1").ok


def test_membership_is_decided_on_plain_items(kernel: KernelClient) -> None:
    """Does `x in obj` ignore a student __contains__ that says yes to everything?"""
    kernel.exec(
        "class Liar:\n    def __contains__(self, x): return True\n"
        "    def __iter__(self): return iter(['a', 'b'])\nobj = Liar()"
    )
    obj = kernel.get(["obj"])["obj"]
    assert "a" in obj and "ratio" not in obj


def test_student_annotations_are_evaluated_as_in_jupyter(kernel: KernelClient) -> None:
    """Do annotations stay objects (no inherited `from __future__ import annotations`), and do
    names looked up through the `__main__` module (pydantic, get_type_hints) find the student's?
    """
    res = kernel.exec(
        "import typing\n"
        "Amount = typing.Annotated[float, 'non-negative']\n"
        "def local_model():\n"
        "    class Local:\n"
        "        pass\n"
        "    def route(body: Local) -> None:\n"
        "        pass\n"
        "    return route.__annotations__['body'] is Local\n"
        "class Row:\n"
        "    amount: 'Amount'\n"
        "ok = [local_model(), typing.get_type_hints(Row, include_extras=True)['amount'] is Amount]"
    )
    assert res.ok, res.error
    assert kernel.get(["ok"]) == {"ok": [True, True]}


def test_matplotlib_magic_does_not_stop_the_cell(tmp_path: Path) -> None:
    """Does a cell starting with `%matplotlib inline` still run its imports (as in Jupyter)?"""
    from graders.kernel.session import open_kernel
    from graders.sandbox import Limits, LocalBackend

    with open_kernel(LocalBackend(), workdir=tmp_path, limits=Limits(cell_timeout_s=20)) as k:
        res = k.exec("%matplotlib inline\nimport math\nroot = math.sqrt(4)")
        assert res.error is None, res.error
        assert k.get(["root"]) == {"root": 2.0}
