"""Fixtures of the grading-engine suites: backends, a released sample course, golden updates."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # `from grader_helpers import ...` from every sub-suite

from grader_helpers import (  # noqa: E402
    SAMPLE,
    SOLUTIONS,
    fill_answers,
    read_notebook,
    write_notebook,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="Rewrite tests/graders/golden/ from the current release output.",
    )  # fmt: skip


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    try:
        return bool(request.config.getoption("--update-goldens"))
    except ValueError:  # option not registered when this conftest is not an initial one
        return False


@pytest.fixture(scope="session")
def local_backend() -> Any:
    """The unsandboxed backend: fast protocol tests that do not need isolation."""
    from graders.sandbox import LocalBackend

    return LocalBackend()


@pytest.fixture(scope="session")
def isolating_backend(needs_tool: Any) -> Any:
    """bubblewrap, or a skip (a failure where MLOPS_REQUIRE has sandbox) that says why not."""
    from graders.sandbox import BubblewrapBackend, probe

    status = probe()[0]
    if not status.usable:
        needs_tool("sandbox", f"no isolating sandbox on this machine: {status.reason}")
    return BubblewrapBackend()


@pytest.fixture(scope="session")
def released_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample lab's source, released once per session (read-only: `sample_course` copies it)."""
    from graders.release import release

    root = tmp_path_factory.mktemp("sample") / "course"
    shutil.copytree(SAMPLE / "source", root / "source")
    release(course_dir=root, lab="lab01")
    return root


@pytest.fixture
def sample_course(tmp_path: Path, released_sample: Path) -> Path:
    """A course root holding the sample lab's source, released.

    A copy of the session's one release: about 60 tests start from it, and a release is mostly
    the gradebook's writes to disk (0.1-0.15 s each here) while copying the folder takes a few
    milliseconds. The gradebook holds no path, so the copy is the same course in a new place.
    """
    root = tmp_path / "course"
    shutil.copytree(released_sample, root)
    return root


@pytest.fixture
def submit(sample_course: Path) -> Callable[..., Path]:
    """Write a submission: ``submit("bob", {grade_id: code})`` or a whole notebook."""

    def write(
        student: str, answers: dict[str, str] | None = None, nb: dict[str, Any] | None = None
    ) -> Path:
        released = read_notebook(sample_course / "release" / "lab01" / "lab01.ipynb")
        nb = nb if nb is not None else fill_answers(released, {**SOLUTIONS, **(answers or {})})
        return write_notebook(nb, sample_course / "submitted" / student / "lab01" / "lab01.ipynb")

    return write


@pytest.fixture
def released(sample_course: Path) -> dict[str, Any]:
    return read_notebook(sample_course / "release" / "lab01" / "lab01.ipynb")


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A live Dask cluster (scheduler + two `dask worker` processes on 127.0.0.1), started once
    per session: the cluster suite and the adversarial cohort's cluster run share it."""
    from cluster.cluster_kit import start_cluster

    cluster = start_cluster(tmp_path_factory.mktemp("dask-logs"), workers=2)
    try:
        yield cluster
    finally:
        cluster.close()
