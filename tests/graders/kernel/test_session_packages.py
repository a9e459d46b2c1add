"""Lab packages in the sandbox: notebooks can import `reference_impl`, never see `labs/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graders.kernel.session import LAB_PACKAGES, open_kernel, package_dirs
from graders.sandbox import Limits

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import os
import reference_impl.metrics as m
threshold = m.cost_threshold(c_fp=1.0, c_fn=9.0)
labs_visible = os.path.exists({labs!r})
source_visible = os.path.exists({pyproject!r})
"""


def test_package_dirs_finds_installed_packages_without_importing_them() -> None:
    """Does the default name resolve to the package folder, and an unknown name to nothing?"""
    assert "reference_impl" in LAB_PACKAGES
    assert package_dirs(["reference_impl"]) == [ROOT / "reference_impl"]
    assert package_dirs(["no_such_package_for_labs"]) == []


@pytest.mark.sandbox
def test_sandbox_imports_reference_impl_but_not_the_rest_of_the_repository(
    isolating_backend: Any, tmp_path: Path
) -> None:
    """Can a notebook import `reference_impl` in bubblewrap while `labs/` stays invisible?"""
    code = PROBE.format(labs=str(ROOT / "labs"), pyproject=str(ROOT / "pyproject.toml"))
    with open_kernel(
        isolating_backend, workdir=tmp_path, limits=Limits(cell_timeout_s=30)
    ) as client:
        res = client.exec(code)
        assert res.ok, res.error
        got = client.get(["threshold", "labs_visible", "source_visible"])
    assert got == {"threshold": pytest.approx(0.1), "labs_visible": False, "source_visible": False}


@pytest.mark.sandbox
def test_packages_can_be_withheld(isolating_backend: Any, tmp_path: Path) -> None:
    """With no lab packages, is `reference_impl` unreachable (the old, driver-only view)?"""
    with open_kernel(
        isolating_backend, workdir=tmp_path, limits=Limits(cell_timeout_s=30), packages=()
    ) as client:
        res = client.exec("import reference_impl")
    assert not res.ok and res.error and res.error["type"] in {"ModuleNotFoundError", "ImportError"}
