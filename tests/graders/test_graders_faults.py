"""Faults end as `error:<reason>` within the limits, and honest points still count."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from grader_helpers import SOLUTIONS, fill_answers, insert_after

from graders.autograde import grade_folder
from graders.config import GradeConfig

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

CONFIG = GradeConfig(cell_timeout_s=20, memory_mb=1024, max_file_mb=5, max_output_bytes=10_000)


def grade(course: Path, path: Path, backend: Any, config: GradeConfig = CONFIG) -> Any:
    return grade_folder(
        course_dir=course, lab="lab01", folder=path.parent, backend=backend, config=config
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("x = bytearray(4 * 1024**3)", "error:memory-limit"),
        ("print('y' * 200_000)", "error:output-limit"),
        ("open('big.bin', 'wb').write(b'0' * (20 * 1024**2))", "error:file-size-limit"),
    ],
    ids=["memory", "output", "file-size"],
)
def test_limit_hits_are_named_and_honest_points_kept(
    code: str,
    status: str,
    sample_course: Path,
    submit: Callable[..., Path],
    released: dict,
    isolating_backend: Any,
) -> None:
    """Is a limit hit named in the status, while the other answers still score?"""
    path = submit("hog", nb=insert_after(fill_answers(released, SOLUTIONS), "imports", code))
    result = grade(sample_course, path, isolating_backend)
    assert result.status == status
    assert result.total == 8.0  # the fault did not touch the answers


def test_oversized_notebook_is_refused_unread(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Is a notebook over the size limit refused as too large (not as missing)?"""
    path = submit("big")
    config = GradeConfig(max_notebook_mb=0.001)
    result = grade(sample_course, path, isolating_backend, config)
    assert result.status == "error:notebook-too-large" and result.possible == 8.0


def test_wrong_file_name_says_what_was_found(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Does a renamed notebook end as missing, naming the file that was found instead?"""
    path = submit("renamer")
    path.rename(path.with_name("lab01 (1).ipynb"))
    result = grade(sample_course, path, isolating_backend)
    assert result.status == "error:missing-notebook"
    assert "lab01 (1).ipynb" in result.notebooks[0].reason


@pytest.mark.parametrize(
    ("content", "status"),
    [('{"cells": [', "error:malformed-notebook"), ('{"hello": 1}', "error:not-a-notebook"),
     (json.dumps({"nbformat": 3, "worksheets": [{"cells": []}]}), "error:unsupported-nbformat")],
    ids=["truncated", "not-a-notebook", "nbformat-3"],
)  # fmt: skip
def test_malformed_files(
    content: str,
    status: str,
    sample_course: Path,
    submit: Callable[..., Path],
    isolating_backend: Any,
) -> None:
    """Is each malformed file named as such, with every test listed as not scored?"""
    path = submit("mal")
    path.write_text(content)
    result = grade(sample_course, path, isolating_backend)
    assert result.status == status and result.total == 0 and len(result.tests) == 6


def test_symlink_to_another_file_is_not_followed(
    sample_course: Path, submit: Callable[..., Path], isolating_backend: Any
) -> None:
    """Does a symlink in the submission (e.g. to the gradebook) stay out of the graded copy?"""
    path = submit("linker")
    (path.parent / "gb.db").symlink_to(sample_course / "gradebook.db")
    result = grade(sample_course, path, isolating_backend)
    assert result.status == "graded"
    assert not (path.parent.with_name("lab01.autograded") / "gb.db").exists()


@pytest.mark.parametrize(
    ("answers", "extra", "status", "score"),
    [
        ({}, "import not_a_real_package", "error:import-error", 8.0),
        ({}, "raise ValueError('oops')", "error:cell-exception", 8.0),
        ({"circle_area_answer": "pass"}, None, "error:undefined-name", 6.0),
        (None, None, "graded", 0.0),  # the released notebook handed in as is
    ],
    ids=["missing-package", "top-level-exception", "never-defined", "unfinished-stubs"],
)
def test_faults_of_the_students_code(
    answers: dict[str, str] | None,
    extra: str | None,
    status: str,
    score: float,
    sample_course: Path,
    submit: Callable[..., Path],
    released: dict,
    isolating_backend: Any,
) -> None:
    """Are code faults named (score kept), while an unfinished notebook is simply graded?"""
    nb = released if answers is None else fill_answers(released, {**SOLUTIONS, **answers})
    if extra:
        nb = insert_after(nb, "imports", extra)
    result = grade(sample_course, submit("faulty", nb=nb), isolating_backend)
    assert (result.status, result.total) == (status, score)
